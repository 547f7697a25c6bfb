"""Register pages: units, shipments, lots, battery models and the bulk import. Views parse, call one service or
selector and render; lists page by key (constant queries per page, whatever the register's size)."""
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.guards import require
from apps.accounts.roles import Perm
from apps.activity.selectors import activity_list
from apps.activity.verbs import label_for
from apps.core.errors import ApplicationError

from . import forms, importing, selectors, services, spreadsheet
from .models import (
    CodeScheme,
    EuCategory,
    ImportKind,
    ImportStatus,
    LotKind,
    MaterialOrigin,
    ShipmentDirection,
    ShipmentStatus,
    UnitLevel,
    UnitStatus,
)
from .panels import sections
from .trade_codes import format_hs

PAGE_SIZE = 50
HISTORY_SIZE = 20
DETAIL_UNITS = 200


def keyset_page(queryset: Any, request: Any, *, key: str, size: int = PAGE_SIZE) -> dict[str, Any]:
    """One page ordered by the unique `key`, after (`?after=`) or before (`?before=`) a key value: one query,
    no COUNT and no OFFSET, so a page costs the same on page 1 and page 2,000."""
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    if before:
        rows = list(queryset.filter(**{f"{key}__lt": before}).order_by(f"-{key}")[: size + 1])
        has_previous, rows = len(rows) > size, rows[:size][::-1]
        has_next = True
    else:
        if after:
            queryset = queryset.filter(**{f"{key}__gt": after})
        rows = list(queryset[: size + 1])
        has_next, rows = len(rows) > size, rows[:size]
        has_previous = bool(after)
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    base = query.urlencode()
    prefix = f"{base}&" if base else ""
    return {
        "rows": rows,
        "next_url": f"?{prefix}after={_quote(getattr(rows[-1], key))}" if has_next and rows else "",
        "previous_url": f"?{prefix}before={_quote(getattr(rows[0], key))}" if has_previous and rows else "",
    }


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _can(request: Any, perm: Perm) -> bool:
    return request.access is not None and request.access.can(perm)


def _history(obj: Any) -> list[dict[str, Any]]:
    entries = activity_list(object_type=obj._meta.label_lower, object_id=str(obj.pk))[:HISTORY_SIZE]
    return [{"entry": e, "label": label_for(e.verb)} for e in entries]


def _model_choices(request: Any) -> list[tuple[str, str]]:
    return [(m.code, f"{m.code} · {m.name}") for m in selectors.battery_model_list(access=request.access)[:500]]


def _list_context(request: Any, **filters: Any) -> dict[str, Any]:
    return {"filters": filters, "q": request.GET.get("q", ""), "can_edit": _can(request, Perm.REGISTER_EDIT),
            "can_import": _can(request, Perm.REGISTER_IMPORT)}


def _render_list(request: Any, template: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, partial if request.htmx else template, context)


# --- units ------------------------------------------------------------------------------------

UNIT_FILTERS = ("level", "status", "scheme", "model")


@require(Perm.VIEW)
def unit_list(request):
    values = {name: request.GET.get(name, "") for name in UNIT_FILTERS}
    units = selectors.unit_list(access=request.access, search=request.GET.get("q", ""), level=values["level"],
                                status=values["status"], scheme=values["scheme"], model_code=values["model"])
    context = {**_list_context(request, **values), **keyset_page(units, request, key="code"),
               "levels": UnitLevel.choices, "statuses": UnitStatus.choices, "schemes": CodeScheme.choices}
    return _render_list(request, "traceability/unit_list.html", "traceability/_unit_rows.html", context)


@require(Perm.VIEW)
def unit_export(request):
    """The filtered unit list as CSV (streamed; text cells escaped against formula injection)."""
    units = selectors.unit_list(access=request.access, search=request.GET.get("q", ""),
                                level=request.GET.get("level", ""), status=request.GET.get("status", ""),
                                scheme=request.GET.get("scheme", ""), model_code=request.GET.get("model", ""))
    header = [str(c.label) for c in importing.UNIT_COLUMNS]
    rows = ((u.code, u.scheme, u.level, u.parent.code if u.parent else "", u.model.code if u.model else "", u.status,
             u.manufactured_on, u.original_code, u.mass_kg, u.gtin, u.serial) for u in units.iterator(chunk_size=2000))
    response = StreamingHttpResponse(spreadsheet.csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="units.csv"'
    return response


@require(Perm.VIEW)
def unit_detail(request, unit_id):
    unit = selectors.unit_get(access=request.access, unit_id=unit_id)
    if unit is None:
        raise Http404
    context = {
        "unit": unit,
        "children": list(selectors.unit_children(access=request.access, unit=unit)[:DETAIL_UNITS]),
        "shipments": list(selectors.unit_shipments(access=request.access, unit=unit)),
        "history": _history(unit) if _can(request, Perm.ACTIVITY_VIEW) else [],
        "can_edit": _can(request, Perm.REGISTER_EDIT),
        "status_form": forms.UnitStatusForm(initial={"status": unit.status}),
        "sections": sections("unit", request, unit),
    }
    return render(request, "traceability/unit_detail.html", context)


@require(Perm.REGISTER_EDIT)
def unit_create(request):
    form = forms.UnitForm(request.POST or None, model_choices=_model_choices(request),
                          initial={"parent_code": request.GET.get("parent", "")})
    if request.method == "POST" and form.is_valid():
        try:
            unit = services.unit_create(access=request.access, **form.cleaned_data)
        except ApplicationError as error:
            forms.apply_errors(form, error)
        else:
            messages.success(request, _("Unit %(code)s registered.") % {"code": unit.code})
            return redirect("traceability:unit_detail", unit_id=unit.pk)
    return render(request, "traceability/unit_form.html", {"form": form, "title": _("Register a unit")},
                  status=400 if form.errors else 200)


@require(Perm.REGISTER_EDIT)
def unit_edit(request, unit_id):
    unit = selectors.unit_get(access=request.access, unit_id=unit_id)
    if unit is None:
        raise Http404
    initial = {"parent_code": unit.parent.code if unit.parent else "", "model_code": unit.model.code if unit.model
               else "", "manufactured_on": unit.manufactured_on, "mass_kg": unit.mass_kg}
    form = forms.UnitEditForm(request.POST or None, initial=initial, model_choices=_model_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(access=request.access, unit=unit, data=form.cleaned_data)
        except ApplicationError as error:
            forms.apply_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("traceability:unit_detail", unit_id=unit.pk)
    return render(request, "traceability/unit_form.html", {"form": form, "unit": unit, "title": unit.code},
                  status=400 if form.errors else 200)


@require(Perm.REGISTER_EDIT)
def unit_recode(request, unit_id):
    unit = selectors.unit_get(access=request.access, unit_id=unit_id)
    if unit is None:
        raise Http404
    form = forms.UnitRecodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_recode(access=request.access, unit=unit, **form.cleaned_data)
        except ApplicationError as error:
            forms.apply_errors(form, error, field_map={"code": "new_code"})
        else:
            messages.success(request, _("Unit re-coded; its original code is kept."))
            return redirect("traceability:unit_detail", unit_id=unit.pk)
    return render(request, "traceability/unit_recode.html", {"form": form, "unit": unit},
                  status=400 if form.errors else 200)


@require(Perm.REGISTER_EDIT)
@require_POST
def unit_status(request, unit_id):
    unit = selectors.unit_get(access=request.access, unit_id=unit_id)
    if unit is None:
        raise Http404
    form = forms.UnitStatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Choose a status."), code="invalid", field="status")
        services.unit_status_change(access=request.access, unit=unit, status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("traceability:unit_detail", unit_id=unit.pk)


# --- shipments --------------------------------------------------------------------------------

@require(Perm.VIEW)
def shipment_list(request):
    values = {name: request.GET.get(name, "") for name in ("direction", "status")}
    shipments = selectors.shipment_list(access=request.access, search=request.GET.get("q", ""), **values)
    context = {**_list_context(request, **values), **keyset_page(shipments, request, key="reference"),
               "directions": ShipmentDirection.choices, "statuses": ShipmentStatus.choices}
    return _render_list(request, "traceability/shipment_list.html", "traceability/_shipment_rows.html", context)


@require(Perm.VIEW)
def shipment_detail(request, shipment_id):
    shipment = selectors.shipment_get(access=request.access, shipment_id=shipment_id)
    if shipment is None:
        raise Http404
    units = selectors.shipment_units(access=request.access, shipment=shipment)
    context = {
        "shipment": shipment,
        "hs_display": format_hs(shipment.hs_code),
        "counterparty_slug": services.counterparty_slug(shipment.counterparty_organisation_id),
        "units": list(units[:DETAIL_UNITS]),
        "unit_count": units.count(),
        "lots": list(selectors.shipment_lots(access=request.access, shipment=shipment)),
        "history": _history(shipment) if _can(request, Perm.ACTIVITY_VIEW) else [],
        "can_edit": _can(request, Perm.REGISTER_EDIT),
        "next_statuses": [(s, ShipmentStatus(s).label) for s in
                          services.shipments.SHIPMENT_TRANSITIONS.get(shipment.status, ())],
        "sections": sections("shipment", request, shipment),
    }
    return render(request, "traceability/shipment_detail.html", context)


def _shipment_form_page(request, shipment=None):
    creating = shipment is None
    initial: dict[str, Any] = {}
    mass_initial: list[dict[str, Any]] = []
    if shipment is not None:
        initial = {name: getattr(shipment, name) for name in forms.SHIPMENT_FIELDS}
        initial["counterparty_platform"] = services.counterparty_slug(shipment.counterparty_organisation_id)
        initial["unit_codes"] = "\n".join(shipment.units.order_by("code").values_list("code", flat=True)[:5000])
        mass_initial = [{"chemistry": m.chemistry, "net_mass_kg": m.net_mass_kg} for m in shipment.masses.all()]
    form = forms.ShipmentForm(request.POST or None, initial=initial, creating=creating)
    masses = forms.MassFormSet(request.POST or None, initial=mass_initial, prefix="masses")
    if request.method == "POST" and form.is_valid() and masses.is_valid():
        data = dict(form.cleaned_data)
        unit_codes = forms.split_codes(data.pop("unit_codes", ""))
        try:
            if creating:
                shipment = services.shipment_create(access=request.access, unit_codes=unit_codes,
                                                    masses=forms.masses_from(masses), **data)
            else:
                shipment = services.shipment_update(access=request.access, shipment=shipment, data=data,
                                                    unit_codes=unit_codes, masses=forms.masses_from(masses))
        except ApplicationError as error:
            forms.apply_errors(form, error)
        else:
            messages.success(request, _("Shipment %(reference)s saved.") % {"reference": shipment.reference})
            return redirect("traceability:shipment_detail", shipment_id=shipment.pk)
    context = {"form": form, "masses": masses, "shipment": shipment,
               "title": _("Register a shipment") if creating else shipment.reference}
    return render(request, "traceability/shipment_form.html", context,
                  status=400 if form.errors or masses.total_error_count() else 200)


@require(Perm.REGISTER_EDIT)
def shipment_create(request):
    return _shipment_form_page(request)


@require(Perm.REGISTER_EDIT)
def shipment_edit(request, shipment_id):
    shipment = selectors.shipment_get(access=request.access, shipment_id=shipment_id)
    if shipment is None:
        raise Http404
    return _shipment_form_page(request, shipment)


@require(Perm.REGISTER_EDIT)
@require_POST
def shipment_status(request, shipment_id):
    shipment = selectors.shipment_get(access=request.access, shipment_id=shipment_id)
    if shipment is None:
        raise Http404
    form = forms.ShipmentStatusForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Choose a status."), code="invalid", field="status")
        services.shipment_status_change(access=request.access, shipment=shipment,
                                        status=form.cleaned_data["status"])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("traceability:shipment_detail", shipment_id=shipment.pk)


# --- lots -------------------------------------------------------------------------------------

@require(Perm.VIEW)
def lot_list(request):
    values = {name: request.GET.get(name, "") for name in ("kind", "origin")}
    lots = selectors.lot_list(access=request.access, search=request.GET.get("q", ""), **values)
    context = {**_list_context(request, **values), **keyset_page(lots, request, key="code"),
               "kinds": LotKind.choices, "origins": MaterialOrigin.choices}
    return _render_list(request, "traceability/lot_list.html", "traceability/_lot_rows.html", context)


@require(Perm.VIEW)
def lot_detail(request, lot_id):
    lot = selectors.lot_get(access=request.access, lot_id=lot_id)
    if lot is None:
        raise Http404
    source_shipments, source_lots = selectors.lot_sources(access=request.access, lot=lot)
    elements = list(lot.elements.all())
    context = {"lot": lot, "elements": elements, "element_total": sum(e.percent for e in elements),
               "source_shipments": source_shipments, "source_lots": source_lots,
               "derived": selectors.lot_derived(access=request.access, lot=lot),
               "history": _history(lot) if _can(request, Perm.ACTIVITY_VIEW) else [],
               "can_edit": _can(request, Perm.REGISTER_EDIT), "sections": sections("lot", request, lot)}
    return render(request, "traceability/lot_detail.html", context)


def _lot_form_page(request, lot=None):
    creating = lot is None
    initial: dict[str, Any] = {}
    element_initial: list[dict[str, Any]] = []
    if lot is not None:
        initial = {name: getattr(lot, name) for name in forms.LOT_FIELDS}
        initial["source_shipments"] = "\n".join(lot.source_shipments.values_list("reference", flat=True))
        initial["source_lots"] = "\n".join(lot.source_lots.values_list("code", flat=True))
        element_initial = [{"element": e.element, "percent": e.percent} for e in lot.elements.all()]
    form = forms.LotForm(request.POST or None, initial=initial)
    elements = forms.ElementFormSet(request.POST or None, initial=element_initial, prefix="elements")
    if request.method == "POST" and form.is_valid() and elements.is_valid():
        data = dict(form.cleaned_data)
        sources = {"source_shipments": forms.split_codes(data.pop("source_shipments", "")),
                   "source_lots": forms.split_codes(data.pop("source_lots", ""))}
        try:
            if creating:
                lot = services.lot_create(access=request.access, elements=forms.elements_from(elements),
                                          **sources, **data)
            else:
                lot = services.lot_update(access=request.access, lot=lot, data=data,
                                          elements=forms.elements_from(elements), **sources)
        except ApplicationError as error:
            forms.apply_errors(form, error)
        else:
            messages.success(request, _("Lot %(code)s saved.") % {"code": lot.code})
            return redirect("traceability:lot_detail", lot_id=lot.pk)
    context = {"form": form, "elements": elements, "lot": lot,
               "title": _("Register a material lot") if creating else lot.code}
    return render(request, "traceability/lot_form.html", context,
                  status=400 if form.errors or elements.total_error_count() else 200)


@require(Perm.REGISTER_EDIT)
def lot_create(request):
    return _lot_form_page(request)


@require(Perm.REGISTER_EDIT)
def lot_edit(request, lot_id):
    lot = selectors.lot_get(access=request.access, lot_id=lot_id)
    if lot is None:
        raise Http404
    return _lot_form_page(request, lot)


# --- battery models -----------------------------------------------------------------------------

@require(Perm.VIEW)
def model_list(request):
    values = {name: request.GET.get(name, "") for name in ("eu_category", "chemistry")}
    models = selectors.battery_model_list(access=request.access, search=request.GET.get("q", ""), **values)
    context = {**_list_context(request, **values), **keyset_page(models, request, key="code"),
               "categories": EuCategory.choices}
    return _render_list(request, "traceability/batterymodel_list.html", "traceability/_batterymodel_rows.html",
                        context)


@require(Perm.VIEW)
def model_detail(request, model_id):
    model = selectors.battery_model_get(access=request.access, model_id=model_id)
    if model is None:
        raise Http404
    units = selectors.unit_list(access=request.access, model_code=model.code)
    context = {"model": model, "units": list(units[:DETAIL_UNITS]),
               "unit_count": selectors.battery_model_unit_count(access=request.access, battery_model=model),
               "history": _history(model) if _can(request, Perm.ACTIVITY_VIEW) else [],
               "can_edit": _can(request, Perm.REGISTER_EDIT), "sections": sections("model", request, model)}
    return render(request, "traceability/batterymodel_detail.html", context)


def _model_form_page(request, model=None):
    initial = {name: getattr(model, name) for name in services.battery_models.MODEL_FIELDS} if model else {}
    form = forms.BatteryModelForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if model is None:
                model = services.battery_model_create(access=request.access, **form.cleaned_data)
            else:
                model = services.battery_model_update(access=request.access, battery_model=model,
                                                      data=form.cleaned_data)
        except ApplicationError as error:
            forms.apply_errors(form, error)
        else:
            messages.success(request, _("Battery model %(code)s saved.") % {"code": model.code})
            return redirect("traceability:model_detail", model_id=model.pk)
    return render(request, "traceability/batterymodel_form.html",
                  {"form": form, "model": model, "title": _("Register a battery model") if model is None
                   else model.code}, status=400 if form.errors else 200)


@require(Perm.REGISTER_EDIT)
def model_create(request):
    return _model_form_page(request)


@require(Perm.REGISTER_EDIT)
def model_edit(request, model_id):
    model = selectors.battery_model_get(access=request.access, model_id=model_id)
    if model is None:
        raise Http404
    return _model_form_page(request, model)


# --- import -----------------------------------------------------------------------------------

def _batch_context(request: Any, batch: Any) -> dict[str, Any]:
    return {"batch": batch, "issues": list(services.report_rows(batch)),
            "progress": services.import_progress(batch) if batch.status == ImportStatus.COMMITTING else 0,
            "can_import": _can(request, Perm.REGISTER_IMPORT)}


@require(Perm.REGISTER_IMPORT)
def import_page(request):
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = services.import_dry_run(access=request.access, kind=form.cleaned_data["kind"], file=upload,
                                            filename=upload.name)
        except ApplicationError as error:
            forms.apply_errors(form, error)
        else:
            if request.htmx:
                return render(request, "traceability/_import_result.html", _batch_context(request, batch))
            return redirect("traceability:import_detail", batch_id=batch.pk)
    context = {"form": form, "batches": list(selectors.import_batch_list(access=request.access)[:20]),
               "kinds": ImportKind.choices}
    return render(request, "traceability/import.html", context, status=400 if form.errors else 200)


@require(Perm.REGISTER_IMPORT)
def import_detail(request, batch_id):
    batch = selectors.import_batch_get(access=request.access, batch_id=batch_id)
    if batch is None:
        raise Http404
    return render(request, "traceability/import_detail.html", _batch_context(request, batch))


@require(Perm.REGISTER_IMPORT)
@require_POST
def import_commit(request, batch_id):
    batch = selectors.import_batch_get(access=request.access, batch_id=batch_id)
    if batch is None:
        raise Http404
    try:
        batch = services.import_commit(access=request.access, batch=batch)
    except ApplicationError as error:
        messages.error(request, error.message)
    if request.htmx:
        return render(request, "traceability/_import_result.html", _batch_context(request, batch))
    return redirect("traceability:import_detail", batch_id=batch.pk)


@require(Perm.REGISTER_IMPORT)
def import_progress(request, batch_id):
    batch = selectors.import_batch_get(access=request.access, batch_id=batch_id)
    if batch is None:
        raise Http404
    return render(request, "traceability/_import_result.html", _batch_context(request, batch))


@require(Perm.REGISTER_IMPORT)
def import_report(request, batch_id):
    """The report as CSV: row, column, severity, message (messages may quote cell values: escaped)."""
    batch = selectors.import_batch_get(access=request.access, batch_id=batch_id)
    if batch is None:
        raise Http404
    header = [_("Row"), _("Column"), _("Severity"), _("Problem")]
    response = StreamingHttpResponse(spreadsheet.csv_lines(header, list(services.report_rows(batch))),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-report-{batch.pk}.csv"'
    return response


TEMPLATE_FORMATS = {"csv": "text/csv; charset=utf-8",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@require(Perm.REGISTER_IMPORT)
def import_template(request, kind, file_format):
    """A template to fill in, headings in English or Chinese (`?lang=zh-hans`), with one example row and the
    meaning of each column (second sheet of the XLSX, comment lines are not used in CSV)."""
    if kind not in ImportKind.values or file_format not in TEMPLATE_FORMATS:
        raise Http404
    language = "zh-hans" if request.GET.get("lang", "").lower().startswith("zh") else "en"
    columns = importing.LAYOUTS[kind]
    with translation.override(language):
        header = [str(c.label) + (" *" if c.required else "") for c in columns]
        example = [c.example for c in columns]
        guide = [[str(c.label), _("required") if c.required else _("optional"), str(c.help)] for c in columns]
        guide_title = _("Columns")
        guide_header = [_("Column"), _("Required"), _("Meaning")]
    suffix = "zh" if language == "zh-hans" else "en"
    if file_format == "csv":
        body: Any = "".join(spreadsheet.csv_lines(header, [example]))
    else:
        body = spreadsheet.xlsx_bytes([(str(kind), header, [example]), (guide_title, guide_header, guide)])
    response = HttpResponse(body, content_type=TEMPLATE_FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="cellpass-{kind}-{suffix}.{file_format}"'
    return response

