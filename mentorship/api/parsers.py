"""The API's JSON parser: DRF's, with the two ways a body could make a server error closed."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def check_size(content_length: str | None) -> None:
    """Refuse a body over DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads it (Django's own
    check answers with an HTML page, DRF's parser has none)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(content_length or 0)
    except ValueError:
        return  # Django's handler refuses a malformed length itself
    if limit is not None and length > limit:
        raise BodyTooLarge(f"The request body is larger than {limit:,} bytes; send less at once.")


class SafeJSONParser(JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            check_size(request.META.get("CONTENT_LENGTH"))
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json.load recurses once per nesting level: a deep enough body exhausts the stack.
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
