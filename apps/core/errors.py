"""Errors that services raise and views/API translate into a message in the user's language."""
from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    """A business rule refused the operation.

    `code` is stable (tests and API clients assert on it); `message` is translatable and
    is what the user sees; `field` names the input at fault when there is one.
    """

    status = 400

    def __init__(self, message: str | Promise, *, code: str, field: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
        self.extra = extra or {}


class PermissionDeniedError(ApplicationError):
    status = 403


class ConflictError(ApplicationError):
    status = 409
