"""Checking and converting key-field values for the passport (pure): a value the Battery Pass model
cannot carry, or that is out of its range, is refused with a message naming the document field."""
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from django.utils.translation import gettext_lazy as _

MSG_NOT_NUMBER = _("%(field)s: “%(value)s” is not a number.")
MSG_PERCENT = _("%(field)s: %(value)s %% is outside 0 to 100 %%.")
MSG_NEGATIVE = _("%(field)s: %(value)s must not be negative.")
MSG_RANGE = _("%(field)s: %(value)s is outside the range %(low)s to %(high)s.")
MSG_NOT_INTEGER = _("%(field)s: %(value)s is not a whole number.")
MSG_URL = _("%(field)s: “%(value)s” is not a web address (http or https).")
MSG_ENUM = _("%(field)s: “%(value)s” is not one of %(allowed)s.")
MSG_TEXT = _("%(field)s: expected text.")
MSG_LIST = _("%(field)s: expected a list.")
MSG_ENTRY = _("%(field)s: entry %(index)s lacks %(missing)s.")
MSG_SHARE_SUM = _("%(field)s: the shares add up to %(value)s %%, more than 100 %%.")
MSG_DATETIME = _("%(field)s: “%(value)s” is not an ISO 8601 date and time with a time zone.")
MSG_WARRANTY = _("%(field)s: “%(value)s” is not in the form the Battery Pass model types it (a month, “--MM”).")
MSG_CAS = _("%(field)s: “%(value)s” is not a CAS number (e.g. 7439-93-2).")
MSG_ORDER = _("%(field)s: the minimum %(low)s is above the maximum %(high)s.")
MSG_BOOLEAN = _("%(field)s: expected true or false.")

CAS_RE = re.compile(r"^\d{2,7}-\d{2}-\d$")
WARRANTY_RE = re.compile(r"^--(0[1-9]|1[0-2])$")


class Refused(Exception):
    """A value that must not go into the passport. `code` is stable; `message` is for people."""

    def __init__(self, code: str, message: Any, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = str(message) % params
        super().__init__(self.message)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number(value: Any, *, field: str, low: float | None = None, high: float | None = None,
           integer: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise Refused("value_not_a_number", MSG_NOT_NUMBER, field=field, value=value)
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise Refused("value_not_a_number", MSG_NOT_NUMBER, field=field, value=value) from None
    if not parsed.is_finite():
        raise Refused("value_not_a_number", MSG_NOT_NUMBER, field=field, value=value)
    if integer and parsed != parsed.to_integral_value():
        raise Refused("value_not_integer", MSG_NOT_INTEGER, field=field, value=value)
    if low == 0 and high is None and parsed < 0:
        raise Refused("value_negative", MSG_NEGATIVE, field=field, value=value)
    if (low is not None and parsed < Decimal(str(low))) or (high is not None and parsed > Decimal(str(high))):
        raise Refused("value_out_of_range", MSG_RANGE, field=field, value=value, low=low, high=high)
    return int(parsed) if integer else float(parsed)


def percent(value: Any, *, field: str) -> float:
    result = number(value, field=field)
    if not 0 <= result <= 100:
        raise Refused("percent_out_of_range", MSG_PERCENT, field=field, value=value)
    return result


def non_negative(value: Any, *, field: str, integer: bool = False) -> float | int:
    return number(value, field=field, low=0, integer=integer)


def text(value: Any, *, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refused("value_not_text", MSG_TEXT, field=field)
    return value.strip()


def url(value: Any, *, field: str) -> str:
    candidate = value.strip() if isinstance(value, str) else ""
    parsed = urlparse(candidate)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in candidate:
        raise Refused("value_not_url", MSG_URL, field=field, value=value)
    return candidate


def choice(value: Any, allowed: tuple[str, ...], *, field: str) -> str:
    if value not in allowed:
        raise Refused("value_not_allowed", MSG_ENUM, field=field, value=value, allowed=", ".join(allowed))
    return value


def boolean(value: Any, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise Refused("value_not_boolean", MSG_BOOLEAN, field=field)
    return value


def cas(value: Any, *, field: str) -> str:
    candidate = value.strip() if isinstance(value, str) else ""
    if not CAS_RE.match(candidate):
        raise Refused("value_not_cas", MSG_CAS, field=field, value=value)
    return candidate


def warranty(value: Any, *, field: str) -> str:
    candidate = value.strip() if isinstance(value, str) else ""
    if not WARRANTY_RE.match(candidate):
        raise Refused("warranty_form", MSG_WARRANTY, field=field, value=value)
    return candidate


def timestamp(value: Any, *, field: str) -> str:
    """An ISO 8601 date-time with its zone, written as the model's Timestamp pattern wants."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise Refused("value_not_datetime", MSG_DATETIME, field=field, value=value) from None
    if parsed.tzinfo is None:
        raise Refused("value_not_datetime", MSG_DATETIME, field=field, value=value)
    return parsed.isoformat().replace("+00:00", "Z")


def day_timestamp(value: date) -> str:
    """A calendar date (the register keeps dates) as the model's date-time: midnight UTC."""
    return f"{value.isoformat()}T00:00:00Z"


def entries(value: Any, *, field: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise Refused("value_not_list", MSG_LIST, field=field)
    for index, item in enumerate(value, start=1):
        lacking = [key for key in required if is_blank(item.get(key))]
        if lacking:
            raise Refused("entry_incomplete", MSG_ENTRY, field=field, index=index, missing=", ".join(lacking))
    return value


def strings(value: Any, *, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise Refused("value_not_list", MSG_LIST, field=field)
    return [item.strip() for item in value]


def ordered(low: float, high: float, *, field: str) -> None:
    if low > high:
        raise Refused("range_inverted", MSG_ORDER, field=field, low=low, high=high)
