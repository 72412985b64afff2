"""Cursor pagination on every list: stable under inserts (no page shifts while a client walks
the list), and its cost does not grow with the page number."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
