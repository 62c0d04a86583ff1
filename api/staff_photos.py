"""Pupils' photos for the school's own staff (the photo check on a screen of theirs).

Terminals read photos through `/terminal/v1/photos/…` with their signature; staff read them
here with the bearer token of their GraphQL login. A photo is served only to staff bound to a
school that may see it; to anybody else it does not exist (404), so hashes cannot be probed.
Every photo served is written to the access log (who, whose, when). A school admin (or
support) uploads a pupil's photo with `PUT /staff/v1/accounts/{contract}/photo`.
"""

from typing import Annotated

from fastapi import APIRouter, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from adapters.blobs import MAX_BLOB_BYTES, media_type
from api.errors import json_response, problem_response
from api.photos import PHOTO_RESPONSES, photo_response
from api.terminal_schemas import problems
from domain.errors import DomainError
from identity.service import Principal, Role

router = APIRouter(prefix="/staff/v1", tags=["staff"], responses=problems(401, 404, 500))
BEARER = HTTPBearer(
    scheme_name="StaffToken", auto_error=False,
    description="the access token of a staff login (GraphQL `login`)",
)  # fmt: skip
PHOTO_VIEWERS = frozenset({Role.CANTEEN_OPERATOR, Role.SCHOOL_ADMIN, Role.SUPPORT})


def may_see(principal: Principal, request: Request, digest: str) -> bool:
    if principal.role not in PHOTO_VIEWERS:
        return False
    blobs = request.app.state.terminal_desk.blobs
    if principal.all_schools:
        return blobs.read(digest) is not None
    return any(blobs.readable_by(digest, school) for school in principal.school_ids)


@router.get(
    "/photos/{sha256}",
    summary="A pupil's photo, for staff of the pupil's school (bearer token)",
    operation_id="getStaffPhoto",
    response_class=Response,
    responses=PHOTO_RESPONSES,
)
def get_photo(
    sha256: str,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Response:
    token = credentials.credentials if credentials else ""
    principal = request.app.state.graphql_services.identity.authenticate(token) if token else None
    if principal is None:
        return problem_response(401, "unauthenticated", "log in as staff first")
    if not may_see(principal, request, sha256):
        return problem_response(404, "photo_not_found", "no such photo for you")
    desk = request.app.state.terminal_desk
    data = desk.blobs.read(sha256)
    if data is None:
        return problem_response(404, "photo_not_found", "no such photo for you")
    desk.privacy.log.photo_read(f"{principal.role}:{principal.principal_id}", "photo.staff", sha256)
    return photo_response(data)


PHOTO_UPLOADERS = frozenset({Role.SCHOOL_ADMIN, Role.SUPPORT})
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@router.put(
    "/accounts/{contract}/photo",
    summary="School admins: the pupil's photo (JPEG, PNG or WebP, at most 5 MiB)",
    operation_id="putStaffPhoto",
    responses={200: {"content": {"application/json": {}}}, **problems(400, 403, 413)},
)
async def put_photo(
    contract: str,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> Response:
    token = credentials.credentials if credentials else ""
    services = request.app.state.graphql_services
    principal = await services.run(services.identity.authenticate, token) if token else None
    if principal is None:
        return problem_response(401, "unauthenticated", "log in as staff first")
    data = await request.body()
    desk = request.app.state.terminal_desk
    try:
        account = await services.run(desk.ledger.account, await services.run(
            desk.ledger.account_id_for_contract, contract.strip()[:32]))  # fmt: skip
    except DomainError:
        account = None
    if (
        account is None
        or principal.role not in PHOTO_UPLOADERS
        or not (principal.all_schools or account.school_id in principal.school_ids)
    ):
        return problem_response(403, "forbidden", "not a pupil of your school")
    if media_type(data) not in PHOTO_TYPES or len(data) > MAX_BLOB_BYTES:
        return problem_response(
            400, "photo_type", "a photo is a JPEG, PNG or WebP of at most 5 MiB"
        )
    digest = await services.run(desk.blobs.put, data, account.school_id)
    await services.run(lambda: desk.people.put(account.pupil_ref, photo=digest))
    return json_response({"sha256": digest}, 200)
