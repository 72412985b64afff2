"""Cursor pagination on every list: stable under inserts (no page shifts while a client walks
the list), and its cost does not grow with the page number."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

# The largest id any of our tables can hold (PostgreSQL's bigint).
MAX_ID = 2**63 - 1


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's decoding, then the position checked: the cursor is base64 a client can forge,
        and its position goes into ``id > p``. Anything but an id is the same 404 as any other
        invalid cursor, not a server error."""
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        position = str(cursor.position)
        if not position.isascii() or not position.isdigit() or int(position) > MAX_ID:
            raise NotFound(self.invalid_cursor_message)
        return cursor
