"""Forms of the vault pages. The key fields of a document type become form fields named `kf_<field>`
(maps and shares: `kf_<field>__<key>[__<part>]`; tables: one text area, a row per line), converted to
and from the canonical key fields by `key_fields_from_form()` / `key_fields_initial()`; the validation
itself is the registry's (`doctypes.py`), so forms and the API refuse exactly the same inputs."""
from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError

from . import selectors
from .doctypes import DocType, all_doctypes, doctype
from .inspection import ACCEPTED_EXTENSIONS
from .keyfields import SHARE_PARTS, Field, Kind, rows_to_text
from .models import EvidenceType, RevisionStatus

PREFIX = "kf_"
SHARE_PART_LABELS = {"pre_consumer_pct": _("pre-consumer %"), "post_consumer_pct": _("post-consumer %")}
LINK_FIELDS = (("shipments", "shipment"), ("lots", "lot"), ("units", "unit"), ("battery_models", "model"))
MSG_UNKNOWN_CODES = _("Not found in the register: %(codes)s")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _label(f: Field) -> str:
    return f"{f.label} *" if f.required else str(f.label)


def _widget_attrs(f: Field) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if f.kind in (Kind.DECIMAL, Kind.DECIMAL_MAP, Kind.PERCENT_MAP, Kind.SHARES):
        attrs["inputmode"] = "decimal"
    if f.kind == Kind.INTEGER:
        attrs["inputmode"] = "numeric"
    if f.format_hint:
        attrs["placeholder"] = str(f.format_hint)
    return attrs


def key_field_form_fields(dt: DocType) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for f in dt.fields:
        if f.derived:
            continue
        name = PREFIX + f.name
        help_text = f.help_text or ""
        if f.kind in (Kind.TEXT, Kind.URL, Kind.COUNTRY, Kind.DECIMAL, Kind.INTEGER):
            fields[name] = forms.CharField(label=_label(f), required=False, help_text=help_text,
                                           widget=forms.TextInput(attrs=_widget_attrs(f)), strip=True)
        elif f.kind == Kind.DATE:
            fields[name] = forms.DateField(label=_label(f), required=False, help_text=help_text, widget=DateInput())
        elif f.kind == Kind.CHOICE:
            fields[name] = forms.ChoiceField(label=_label(f), required=False, help_text=help_text,
                                             choices=[("", "—"), *f.choices])
        elif f.kind == Kind.BOOLEAN:
            fields[name] = forms.ChoiceField(label=_label(f), required=False, help_text=help_text,
                                             choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))])
        elif f.kind in (Kind.TEXT_LIST, Kind.ROWS):
            fields[name] = forms.CharField(label=_label(f), required=False, help_text=help_text,
                                           widget=forms.Textarea(attrs={"rows": 3}))
        elif f.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP):
            for key, key_label in f.keys:
                fields[f"{name}__{key}"] = forms.CharField(
                    label=f"{f.label}: {key_label}", required=False,
                    widget=forms.TextInput(attrs=_widget_attrs(f)))
        elif f.kind == Kind.SHARES:
            for key, key_label in f.keys:
                for part in SHARE_PARTS:
                    fields[f"{name}__{key}__{part}"] = forms.CharField(
                        label=f"{key_label}: {SHARE_PART_LABELS[part]}", required=False,
                        widget=forms.TextInput(attrs=_widget_attrs(f)))
    return fields


def key_fields_from_form(dt: DocType, data: dict[str, Any]) -> dict[str, Any]:
    """The raw key fields (for the registry's validation) from cleaned form data."""
    raw: dict[str, Any] = {}
    for f in dt.fields:
        if f.derived:
            continue
        name = PREFIX + f.name
        if f.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP):
            raw[f.name] = {key: data.get(f"{name}__{key}") for key, _l in f.keys if data.get(f"{name}__{key}")}
        elif f.kind == Kind.SHARES:
            shares = {}
            for key, _l in f.keys:
                parts = {p: data.get(f"{name}__{key}__{p}") for p in SHARE_PARTS if data.get(f"{name}__{key}__{p}")}
                if parts:
                    shares[key] = parts
            raw[f.name] = shares
        else:
            raw[f.name] = data.get(name)
    return raw


def key_fields_initial(dt: DocType, stored: dict[str, Any]) -> dict[str, Any]:
    """Form initial values from stored key fields (a new revision starts from the current one)."""
    initial: dict[str, Any] = {}
    for f in dt.fields:
        if f.derived or f.name not in stored:
            continue
        value, name = stored[f.name], PREFIX + f.name
        if f.kind in (Kind.DECIMAL_MAP, Kind.PERCENT_MAP):
            initial.update({f"{name}__{key}": v for key, v in value.items()})
        elif f.kind == Kind.SHARES:
            initial.update({f"{name}__{key}__{p}": v for key, parts in value.items() for p, v in parts.items()})
        elif f.kind == Kind.TEXT_LIST:
            initial[name] = "\n".join(value)
        elif f.kind == Kind.ROWS:
            initial[name] = rows_to_text(f, value)
        elif f.kind == Kind.BOOLEAN:
            initial[name] = "yes" if value else "no"
        else:
            initial[name] = value
    return initial


def form_field_for_problem(dotted: str) -> str:
    """`elements.Co` -> `kf_elements__Co`; `shares.Co.pre_consumer_pct` -> `kf_shares__Co__pre_consumer_pct`;
    `inputs.2.mass_kg` (a table row) -> `kf_inputs`."""
    parts = dotted.split(".")
    if len(parts) > 1 and parts[1].isdigit():
        return PREFIX + parts[0]
    return PREFIX + "__".join(parts)


def apply_service_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a refusal where it belongs: each key-field problem on its field, anything else on its
    field or on top of the form."""
    problems = error.extra.get("errors") if error.code == "key_fields_invalid" else None
    if problems:
        for problem in problems:
            name = form_field_for_problem(problem["field"])
            if name not in form.fields:
                name = PREFIX + problem["field"].split(".")[0]
            form.add_error(name if name in form.fields else None, problem["message"])
        return
    form.add_error(error.field if error.field in form.fields else None, str(error.message))


def _codes(value: str) -> list[str]:
    return [c.strip() for c in value.replace(",", "\n").replace(";", "\n").splitlines() if c.strip()]


class KeyFieldsMixin:
    doctype: DocType

    def add_key_fields(self, dt: DocType) -> None:
        self.doctype = dt
        self.fields.update(key_field_form_fields(dt))  # type: ignore[attr-defined]

    def key_field_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(PREFIX)]  # type: ignore[attr-defined]

    def key_fields(self) -> dict[str, Any]:
        return key_fields_from_form(self.doctype, self.cleaned_data)  # type: ignore[attr-defined]

    def set_validity_labels(self, dt: DocType) -> None:
        start, end = dt.validity_label
        self.fields["effective_date"].label = f"{start} *" if dt.effective_required else start  # type: ignore
        self.fields["expiry_date"].label = f"{end} *" if dt.expiry_required else end  # type: ignore


class EvidenceUploadForm(KeyFieldsMixin, forms.Form):
    doc_type = forms.ChoiceField(label=_("Document type"), choices=EvidenceType.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    reference = forms.CharField(label=_("Document number"), max_length=100, required=False)
    issuer = forms.CharField(label=_("Issuer"), max_length=200, required=False)
    file = forms.FileField(label=_("File"), required=False, allow_empty_file=True,
                           help_text=_("PDF, image, xlsx, docx, csv, txt or zip."),
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}))
    effective_date = forms.DateField(label=_("Effective from"), required=False, widget=DateInput())
    expiry_date = forms.DateField(label=_("Expires on"), required=False, widget=DateInput())
    shipments = forms.CharField(label=_("Shipments (references)"), required=False,
                                widget=forms.Textarea(attrs={"rows": 1}), help_text=_("One per line."))
    lots = forms.CharField(label=_("Material lots (codes)"), required=False, widget=forms.Textarea(attrs={"rows": 1}))
    units = forms.CharField(label=_("Battery units (codes)"), required=False, widget=forms.Textarea(attrs={"rows": 1}))
    battery_models = forms.CharField(label=_("Battery models (codes)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 1}))

    def __init__(self, *args: Any, doc_type: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = doc_type if doc_type in EvidenceType.values else EvidenceType.TRANSPORT_MANIFEST
        self.fields["doc_type"].initial = code
        self.add_key_fields(doctype(code))
        self.set_validity_labels(doctype(code))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.resolved_links: dict[str, list[Any]] = {}
        for field_name, kind in LINK_FIELDS:
            found, unknown = selectors.resolve_codes(kind, _codes(data.get(field_name) or ""))
            if unknown:
                self.add_error(field_name, MSG_UNKNOWN_CODES % {"codes": ", ".join(unknown)})
            self.resolved_links[field_name] = found
        return data


class RevisionForm(KeyFieldsMixin, forms.Form):
    file = forms.FileField(label=_("File"), required=False, allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED_EXTENSIONS)}))
    effective_date = forms.DateField(label=_("Effective from"), required=False, widget=DateInput())
    expiry_date = forms.DateField(label=_("Expires on"), required=False, widget=DateInput())

    def __init__(self, *args: Any, dt: DocType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_key_fields(dt)
        self.set_validity_labels(dt)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    doc_type = forms.ChoiceField(label=_("Document type"), required=False,
                                 choices=[("", _("All types")), *EvidenceType.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *RevisionStatus.choices])
    linked = forms.CharField(label=_("Linked to (reference or code)"), required=False)


def doctype_choices() -> list[tuple[str, str]]:
    return [(d.code, str(d.label)) for d in all_doctypes()]
