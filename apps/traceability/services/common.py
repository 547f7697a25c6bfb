"""Shared helpers of the register services: role check, refusals with every error, parsing of typed values."""
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from apps.accounts.access import Access
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError, PermissionDeniedError

from ..importing import (
    Found,
)
from ..issues import Issue, error, register_messages

register_messages({
    "not_allowed": _("Your role does not allow changing the register."),
    "model_code_taken": _("A battery model with the code %(code)s is already registered."),
    "category_mass_portable": _("A portable battery weighs at most 5 kg (Regulation (EU) 2023/1542 Art 3(9)); a "
                                "heavier one is an industrial battery."),
    "category_mass_lmt": _("An LMT battery weighs at most 25 kg (Regulation (EU) 2023/1542 Art 3(11))."),
    "reference_taken": _("A shipment with the reference %(reference)s is already registered."),
    "lot_code_taken": _("A material lot with the code %(code)s is already registered."),
    "status_transition": _("This status change is not allowed from the current status."),
    "status_unchanged": _("The status is already the one chosen."),
    "unit_status_original": _("A unit cannot return to the status original."),
    "recode_status": _("Cascade-use re-coding makes the unit repurposed or remanufactured."),
    "cascade_original_type": _("The cascade-use code names the original product type %(found)s, but the "
                               "original code is of type %(expected)s."),
    "shipment_content_locked": _("The units and masses of a dispatched outbound shipment can no longer change."),
    "shipment_closed": _("A closed or cancelled shipment can no longer change."),
    "unit_codes_unknown": _("These unit codes are not registered: %(codes)s."),
    "element_unknown": _("“%(element)s” is not an element of this register."),
    "element_range": _("An element content lies between 0 and 100 %%."),
    "elements_sum": _("The element contents add up to %(total)s %%, more than 100 %%."),
    "source_shipments_unknown": _("These shipment references are not registered: %(references)s."),
    "source_lots_unknown": _("These lot codes are not registered: %(codes)s."),
    "lot_source_cycle": _("A lot cannot be made from itself or from a lot made from it."),
})


def require(access: Access, perm: Perm = Perm.REGISTER_EDIT) -> None:
    if not access.can(perm):
        issue = error("not_allowed")
        raise PermissionDeniedError(issue.lazy_message, code=issue.code)


def refuse(found: Found) -> NoReturn:
    """Raise the first error; all of them travel in `extra["errors"]` (forms and the API show them all)."""
    errors = [(field, issue) for field, issue in found if issue.is_error]
    field, first = errors[0]
    raise ApplicationError(first.lazy_message, code=first.code, field=field or None,
                           extra={"errors": [{"field": f, "code": i.code, "message": i.message} for f, i in errors]})


def check(found: Found) -> None:
    if any(issue.is_error for _field, issue in found):
        refuse(found)


def refuse_one(field: str, issue: Issue) -> NoReturn:
    refuse([(field, issue)])


def choice(found: Found, field: str, value: str, choices: Any, *, required: bool = True) -> None:
    if not value and not required:
        return
    if value not in choices.values:
        found.append((field, error("value_required") if not value else error(
            "choice_invalid", value=str(value)[:60], choices=", ".join(choices.values))))


def to_decimal(found: Found, field: str, value: Any, *, positive: bool = False) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        found.append((field, error("number_invalid", value=str(value)[:60])))
        return None
    if not number.is_finite():
        found.append((field, error("number_invalid", value=str(value)[:60])))
    elif number < 0:
        found.append((field, error("number_negative")))
    elif positive and number == 0:
        found.append((field, error("number_positive")))
    return number


def apply_changes(instance: Any, values: Mapping[str, Any]) -> dict[str, list[str]]:
    changed = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            changed[field] = [str(old if old is not None else ""), str(new if new is not None else "")]
            setattr(instance, field, new)
    return changed


def save_guarded(instance: Any, fields: Iterable[str], *, taken: Issue, field: str) -> None:
    """Save inside a savepoint so that a race on a unique code ends as a clear refusal, not a 500."""
    try:
        with transaction.atomic():
            if fields:
                instance.save(update_fields=[*fields, "updated_at"])
            else:
                instance.save()
    except IntegrityError:
        refuse_one(field, taken)

def to_date(found: Found, field: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        found.append((field, error("date_invalid", value=str(value)[:60])))
        return None
