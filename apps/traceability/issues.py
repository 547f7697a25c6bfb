"""Validation findings shared by the code validators, the import and the services.

An `Issue` is data (a stable `code`, JSON-serialisable `params`, a severity), so that it can be stored
in an import report and shown later in whichever language the reader uses. Its text comes from the
message registry, filled by the modules that define the codes (codes.py, trade_codes.py, importing.py).
Pure module: no database access.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise, lazy

ERROR = "error"
WARNING = "warning"

MESSAGES: dict[str, str | Promise] = {}


def register_messages(messages: Mapping[str, str | Promise]) -> None:
    duplicates = set(messages) & set(MESSAGES)
    if duplicates:
        raise ValueError(f"message codes registered twice: {sorted(duplicates)}")
    MESSAGES.update(messages)


def render_message(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The message of `code` in the active language (the code itself when unknown)."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    return str(template) % dict(params or {})


_lazy_message = lazy(render_message, str)


@dataclass(frozen=True)
class Issue:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = ERROR

    @property
    def message(self) -> str:
        """Rendered now, in the active language."""
        return render_message(self.code, self.params)

    @property
    def lazy_message(self) -> Promise:
        """Rendered when displayed (for ApplicationError raised before the language is known)."""
        return _lazy_message(self.code, dict(self.params))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params), "severity": self.severity}


def error(code: str, /, **params: Any) -> Issue:
    return Issue(code=code, params=params, severity=ERROR)


def warning(code: str, /, **params: Any) -> Issue:
    return Issue(code=code, params=params, severity=WARNING)
