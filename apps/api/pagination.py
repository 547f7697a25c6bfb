from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable, constant-cost pages on large tables (no COUNT, no OFFSET)."""

    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-created_at"


class IdCursorPagination(CursorPagination):
    ordering = "-id"
