"""Pages inside an organisation: passports (per unit and model, tiers, provenance, QR code, status
changes), readiness, and the traceability-platform reporting board. Thin: parse, call one selector
or service, render."""
import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.guards import require
from apps.accounts.roles import Perm
from apps.core.errors import ApplicationError
from apps.core.forms import apply_error
from apps.tenants.hosts import public_url
from apps.traceability.models import BatteryUnit

from . import digitallink, reporting, selectors, services, tabular, workdays
from .bundle import passport_json, passport_zip, qr_svg
from .forms import PassportIssueForm, PassportStatusForm, SubmissionForm
from .passport import ASPECT_LABELS, ASPECTS, PROPS_BY_KEY, Tier
from .readiness import AWAITING_REVIEW, MISSING, READY, REFUSED


def _tier(request) -> Tier:
    return Tier.from_slug(request.GET.get("tier", "")) or Tier.PUBLIC


def passport_public_url(passport, unit, request=None) -> str:
    link = digitallink.link_for(unit.gtin, unit.serial) if passport.is_current else None
    path = link.path if link else f"/passport/{passport.identifier}/"
    return public_url(path, request=request)


def _provenance_rows(export) -> list[dict]:
    rows = []
    for aspect in ASPECTS:
        for path, sources in export.provenance[aspect].items():
            prop = PROPS_BY_KEY.get(f"{aspect}.{path}")
            rows.append({"aspect": ASPECT_LABELS[aspect], "path": path, "label": prop.label if prop else path,
                         "sources": sources})
    return rows


def _missing_rows(export) -> list[dict]:
    return [{"tier": Tier.from_slug(slug).label, "entries": entries}
            for slug, entries in export.missing_by_tier().items()]


def _export_context(export) -> dict:
    return {
        "export": export,
        "documents": [{"aspect": aspect, "label": ASPECT_LABELS[aspect],
                       "json": json.dumps(export.aspects[aspect], ensure_ascii=False, indent=2)} for aspect in ASPECTS],
        "provenance_rows": _provenance_rows(export),
        "missing_rows": _missing_rows(export),
        "tiers": list(Tier),
    }


def _download(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _unit_or_404(request, unit_id) -> BatteryUnit:
    unit = selectors.unit_get(access=request.access, unit_id=unit_id)
    if unit is None:
        raise Http404
    return unit


@require(Perm.VIEW)
def passport_list(request):
    units = list(selectors.passport_unit_list(access=request.access))
    models = list(selectors.passport_model_list())
    return render(request, "exports/passport_list.html", {"units": units, "models": models})


@require(Perm.VIEW)
def readiness(request):
    rows = [{"model": model, "ready": result.count(READY), "awaiting": result.count(AWAITING_REVIEW),
             "missing": result.count(MISSING) + result.count(REFUSED), "open": result.mandatory_open}
            for model, result in selectors.readiness_for_models(models=selectors.passport_model_list())]
    return render(request, "exports/readiness_list.html", {"rows": rows})


@require(Perm.VIEW)
def unit_passport(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    tier = _tier(request)
    passport = selectors.passport_current(unit=unit)
    try:
        export, readiness = selectors.passport_unit_overview(unit=unit, tier=tier, passport=passport)
    except ApplicationError as error:
        return render(request, "exports/unit_passport.html", {"unit": unit, "refusal": error.message}, status=404)
    can_edit = request.access.can(Perm.REGISTER_EDIT)
    context = {
        "unit": unit, "tier": tier, "passport": passport, "history": selectors.passport_history(unit=unit),
        "readiness": readiness, "can_edit": can_edit,
        "issue_form": PassportIssueForm() if can_edit and passport is None else None,
        "status_form": PassportStatusForm(current_status=passport.status) if can_edit and passport else None,
        **_export_context(export),
    }
    if passport is not None:
        context["public_url"] = passport_public_url(passport, unit, request)
        context["qr_svg"] = qr_svg(context["public_url"])
        context["gs1_link"] = digitallink.link_for(unit.gtin, unit.serial)
    return render(request, "exports/unit_passport.html", context)


@require(Perm.REGISTER_EDIT)
@require_POST
def unit_passport_issue(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    form = PassportIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid date."))
        return redirect("exports:unit", unit_id=unit.pk)
    try:
        services.passport_issue(access=request.access, unit=unit,
                                put_into_service_on=form.cleaned_data["put_into_service_on"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Battery passport issued."))
    return redirect("exports:unit", unit_id=unit.pk)


@require(Perm.REGISTER_EDIT)
@require_POST
def unit_passport_status(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    passport = selectors.passport_current(unit=unit)
    if passport is None:
        raise Http404
    form = PassportStatusForm(request.POST, current_status=passport.status)
    if not form.is_valid():
        messages.error(request, _("Choose a battery status this battery may change to."))
        return redirect("exports:unit", unit_id=unit.pk)
    new_unit = None
    code = form.cleaned_data["new_unit_code"].strip()
    if code:
        new_unit = BatteryUnit.objects.filter(code=code).first()
        if new_unit is None:
            messages.error(request, _("No unit with this code in the register."))
            return redirect("exports:unit", unit_id=unit.pk)
    try:
        successor = services.passport_status_change(
            access=request.access, passport=passport, status=form.cleaned_data["status"], new_unit=new_unit,
            put_into_service_on=form.cleaned_data["put_into_service_on"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("exports:unit", unit_id=unit.pk)
    if successor.pk != passport.pk:
        messages.success(request, _("A new battery passport linked to the original one was issued."))
    else:
        messages.success(request, _("Battery status changed; the passport stays the same."))
    return redirect("exports:unit", unit_id=successor.unit_id)


def _unit_export(request, unit_id):
    unit = _unit_or_404(request, unit_id)
    try:
        return unit, selectors.passport_export_unit(unit=unit, tier=_tier(request))
    except ApplicationError:
        raise Http404 from None


@require(Perm.VIEW)
def unit_passport_json(request, unit_id):
    unit, export = _unit_export(request, unit_id)
    body = json.dumps(passport_json(export), ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, content_type="application/json",
                     filename=f"passport-{unit.code}-{export.tier.slug}.json")


@require(Perm.VIEW)
def unit_passport_zip(request, unit_id):
    unit, export = _unit_export(request, unit_id)
    return _download(passport_zip(export), content_type="application/zip",
                     filename=f"passport-{unit.code}-{export.tier.slug}.zip")


def _model_or_404(request, model_id):
    model = selectors.passport_model_get(model_id=model_id)
    if model is None or request.access.is_restricted:
        raise Http404
    return model


def _model_export(request, model_id):
    model = _model_or_404(request, model_id)
    try:
        return model, selectors.passport_export_model(model=model, tier=_tier(request))
    except ApplicationError:
        raise Http404 from None


@require(Perm.VIEW)
def model_passport(request, model_id):
    model = _model_or_404(request, model_id)
    try:
        export, readiness = selectors.passport_model_overview(model=model, tier=_tier(request))
    except ApplicationError:
        raise Http404 from None
    context = {"model": model, "tier": _tier(request), "readiness": readiness,
               "units": list(selectors.passport_unit_list(access=request.access, model=model)),
               **_export_context(export)}
    return render(request, "exports/model_passport.html", context)


@require(Perm.VIEW)
def model_passport_json(request, model_id):
    model, export = _model_export(request, model_id)
    body = json.dumps(passport_json(export), ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, content_type="application/json",
                     filename=f"passport-model-{model.code}-{export.tier.slug}.json")


@require(Perm.VIEW)
def model_passport_zip(request, model_id):
    model, export = _model_export(request, model_id)
    return _download(passport_zip(export), content_type="application/zip",
                     filename=f"passport-model-{model.code}-{export.tier.slug}.zip")


# --- reporting -------------------------------------------------------------------------------------

def platform_columns() -> tuple[str, ...]:
    return reporting.check_columns(settings.CELLPASS_PLATFORM_EXPORT_COLUMNS)


@require(Perm.VIEW)
def reporting_board(request):
    today = timezone.localdate()
    board = selectors.reporting_board(access=request.access, today=today)
    for event in (event for events in board.values() for event in events):
        event.working_days = reporting.DEADLINE_RULES[event.kind].working_days
        event.holidays = workdays.holidays_between(event.occurred_on, event.deadline)
        event.worked_weekends = workdays.adjusted_working_weekends_between(event.occurred_on, event.deadline)
    provisional = [event for events in board.values() for event in events if event.deadline_provisional]
    context = {
        "board": board, "today": today, "coverage": workdays.coverage(),
        "provisional_warning": _provisional_warning(provisional),
        "columns": [reporting.COLUMN_LABELS[column] for column in platform_columns()],
        "can_edit": request.access.can(Perm.REGISTER_EDIT),
        "submission_form": SubmissionForm(initial={"reported_on": today}),
        "rules": [{"kind": kind, "rule": rule} for kind, rule in reporting.DEADLINE_RULES.items()],
    }
    return render(request, "exports/reporting_board.html", context)


def _provisional_warning(events) -> str:
    if not events:
        return ""
    years = sorted({event.deadline.year for event in events})
    info = workdays.coverage()
    return str(workdays.MSG_UNCOVERED) % {"version": info.version, "first": info.first_year, "last": info.last_year,
                                          "years": ", ".join(str(year) for year in years)}


@require(Perm.REGISTER_EDIT)
@require_POST
def reporting_sync(request):
    result = services.reporting_events_sync(actor=request.access.actor, organisation=request.organisation)
    messages.success(request, _("%(created)s new reporting events derived from the register.") % result)
    return redirect("exports:reporting")


@require(Perm.REGISTER_EDIT)
def reporting_submit(request, event_id):
    event = selectors.reporting_event_get(access=request.access, event_id=event_id)
    if event is None:
        raise Http404
    form = SubmissionForm(request.POST or None, initial={"reported_on": timezone.localdate(),
                                                          "platform_reference": event.platform_reference})
    if request.method == "POST" and form.is_valid():
        try:
            services.reporting_event_submit(access=request.access, event=event,
                                            platform_reference=form.cleaned_data["platform_reference"],
                                            reported_on=form.cleaned_data["reported_on"])
        except ApplicationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("Platform submission recorded."))
            return redirect("exports:reporting")
    return render(request, "exports/reporting_submit.html", {"event": event, "form": form},
                  status=400 if form.errors else 200)


def _upload(request):
    columns = platform_columns()
    events = [selectors.upload_event(event) for event in selectors.reporting_event_list(access=request.access)
              if not event.platform_reference]
    return reporting.header(columns), reporting.upload_rows(events, columns)


def _stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


@require(Perm.VIEW)
def reporting_export_csv(request):
    header, rows = _upload(request)
    return _download(tabular.to_csv(header, rows), content_type="text/csv; charset=utf-8",
                     filename=f"traceability-platform-pending-{_stamp()}.csv")


@require(Perm.VIEW)
def reporting_export_xlsx(request):
    header, rows = _upload(request)
    notes = [_("Pending China traceability-platform events exported by Cellpass."),
             _("The platform's official upload format is not published; these columns are a configurable "
               "layout (setting CELLPASS_PLATFORM_EXPORT_COLUMNS)."),
             _("Cells that would start a formula are prefixed with an apostrophe.")]
    content = tabular.to_xlsx(header, rows, sheet_title=_("Pending events"), notes=notes)
    return _download(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     filename=f"traceability-platform-pending-{_stamp()}.xlsx")
