"""A pupil's photo reaches the staff of the pupil's school, and nobody else."""

from pathlib import Path

from adapters.blobs import BlobStore
from identity.service import Role
from tests.api.stack import Stack

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_photo_is_served_to_the_schools_staff_only(stack: Stack) -> None:
    world, elsewhere = stack.school(), stack.school()
    digest = BlobStore(Path("var") / "blobs", stack.database_url).put(PNG, world.school_id)
    path = f"/staff/v1/photos/{digest}"

    def get(client_token: str | None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {client_token}"} if client_token else {}
        answer = stack.http.get(path, headers=headers)
        return answer.status_code, answer.content

    own = stack.staff(Role.CANTEEN_OPERATOR, world.school_id)
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    foreign = stack.staff(Role.SCHOOL_ADMIN, elsewhere.school_id)
    auditor = stack.staff(Role.AUDITOR, world.school_id)
    parent = stack.family(world).client
    assert get(own.token) == (200, PNG)
    assert get(admin.token) == (200, PNG)
    assert get(foreign.token)[0] == 404
    assert get(auditor.token)[0] == 404
    assert get(parent.token)[0] == 404
    assert get(None)[0] == 401
    assert get("not-a-token")[0] == 401
