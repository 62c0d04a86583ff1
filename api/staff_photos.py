"""Pupils' photos for the school's own staff (the photo check on a screen of theirs).

Terminals read photos through `/terminal/v1/photos/…` with their signature; staff read them
here with the bearer token of their GraphQL login. A photo is served only to staff bound to a
school that may see it; to anybody else it does not exist (404), so hashes cannot be probed.
"""

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from adapters.blobs import media_type
from api.errors import error_body, json_response
from identity.service import Principal, Role

router = APIRouter(prefix="/staff/v1", tags=["staff"])
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
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
def get_photo(
    sha256: str, request: Request, authorization: Annotated[str | None, Header()] = None
) -> Response:
    token = authorization[7:] if authorization and authorization[:7].lower() == "bearer " else ""
    principal = request.app.state.graphql_services.identity.authenticate(token) if token else None
    if principal is None:
        return json_response(error_body("unauthenticated", "log in as staff first"), 401)
    if not may_see(principal, request, sha256):
        return json_response(error_body("photo_not_found", "no such photo for you"), 404)
    data = request.app.state.terminal_desk.blobs.read(sha256)
    if data is None:
        return json_response(error_body("photo_not_found", "no such photo for you"), 404)
    return Response(data, media_type=media_type(data), headers={"Cache-Control": "private"})
