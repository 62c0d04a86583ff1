"""A pupil's photo as an HTTP answer, the same to a terminal (`/terminal/v1/photos/…`, signed)
and to the school's staff (`/staff/v1/photos/…`, bearer token): each route decides who may
see it; what is sent is decided here once."""

from typing import Any

from fastapi import Response

from adapters.blobs import media_type

# A photo route's OpenAPI `responses`: the image itself.
PHOTO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}}}
}


def photo_response(data: bytes) -> Response:
    """The photo's bytes with their image type; `private`: a shared cache (a school's proxy)
    never keeps a child's face."""
    return Response(data, media_type=media_type(data), headers={"Cache-Control": "private"})
