"""Photos: content-addressed, served only to the terminals of the pupil's school."""

import hashlib

from adapters.blobs import BlobStore
from tests.problems import problem_code
from tests.terminals.rig import TerminalWorld, fake_jpeg


def test_photo_is_served_to_own_school_terminals_only(
    school: TerminalWorld, other_school: TerminalWorld
) -> None:
    photo = fake_jpeg()
    pupil = school.named_pupil("Сидоров Пётр", photo=photo)
    url = school["turnstile"].tap(pupil.uid, direction="in").json()["pupil"]["photo_url"]

    own = school["turnstile"].get(url)
    foreign = other_school["turnstile"].get(url)
    unsigned = school.http.get(url)

    assert url.endswith(hashlib.sha256(photo).hexdigest())
    assert (own.status_code, own.content) == (200, photo)
    assert own.headers["content-type"] == "image/jpeg"
    assert (foreign.status_code, problem_code(foreign)) == (404, "photo_not_found")
    assert unsigned.status_code == 401


def test_blob_store_keeps_one_copy_per_content_and_refuses_damaged_files(
    school: TerminalWorld,
) -> None:
    blobs: BlobStore = school.desk.blobs
    data = fake_jpeg()

    first = blobs.put(data, school.world.school_id)
    second = blobs.put(data, school.world.school_id)
    path = blobs.root / first[:2] / first
    path.write_bytes(data[:-1] + b"\x00")

    assert first == second == hashlib.sha256(data).hexdigest()
    assert len(list(path.parent.iterdir())) == 1
    assert blobs.read(first) is None
    assert blobs.read("../../etc/passwd") is None
