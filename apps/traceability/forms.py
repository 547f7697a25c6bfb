"""Forms of the register pages: they parse input; the rules live in the services (refusals come back as
ApplicationError and are shown on the field they name, see `apply_errors`)."""
import re
from typing import Any

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError

from .models import (
    BatteryModel,
    BatteryUnit,
    Chemistry,
    CodeScheme,
    Element,
    ImportKind,
    MaterialLot,
    Shipment,
    ShipmentStatus,
    UnitStatus,
)
from .services.battery_models import MODEL_FIELDS
from .services.shipments import INITIAL_SHIPMENT_STATUSES
from .services.units import RECODE_STATUSES

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.BaseForm, error: ApplicationError, *, field_map: dict[str, str] | None = None) -> None:
    """Every error of a service refusal on its field (or on top of the form)."""
    field_map = field_map or {}
    errors = error.extra.get("errors") or [{"field": error.field, "message": str(error.message)}]
    for item in errors:
        name = field_map.get(item.get("field") or "", item.get("field") or "")
        form.add_error(name if name in form.fields else None, str(item["message"]))


def split_codes(text: str) -> list[str]:
    """Codes or references typed one per line (or separated by commas, semicolons or spaces)."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DATE_WIDGET
                field.input_formats = ["%Y-%m-%d"]


def _model_fields(model: Any, names: tuple[str, ...]) -> dict[str, forms.Field]:
    fields = fields_for_model(model, fields=names)
    for field in fields.values():
        if isinstance(field, forms.TypedChoiceField | forms.ChoiceField):
            field.choices = [c for c in field.choices if c[0] != ""] if field.required else field.choices
    return fields


BatteryModelForm = type("BatteryModelForm", (_Form,), _model_fields(BatteryModel, MODEL_FIELDS))


class UnitForm(_Form):
    code = forms.CharField(label=_("Code"), max_length=300,
                           help_text=_("GB/T 34014 code, (01)GTIN(21)serial, or passport identifier https://…"))
    scheme = forms.ChoiceField(label=_("Code scheme"), required=False,
                               choices=[("", _("Recognise from the code"))] + list(CodeScheme.choices))
    level = fields_for_model(BatteryUnit, fields=["level"])["level"]
    parent_code = forms.CharField(label=_("Parent code"), max_length=300, required=False)
    model_code = forms.ChoiceField(label=_("Battery model"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=UnitStatus.choices, initial=UnitStatus.ORIGINAL)
    manufactured_on = forms.DateField(label=_("Manufacture date"), required=False)
    original_code = forms.CharField(label=_("Original code"), max_length=300, required=False,
                                    help_text=_("for cascade-use products: the code before re-coding"))
    mass_kg = forms.DecimalField(label=_("Mass (kg)"), required=False, min_value=0, max_digits=10, decimal_places=3)
    gtin = forms.CharField(label=_("GTIN"), max_length=20, required=False)
    serial = forms.CharField(label=_("Serial number"), max_length=40, required=False)

    def __init__(self, *args: Any, model_choices: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_code"].choices = [("", "—")] + list(model_choices)


class UnitEditForm(_Form):
    parent_code = forms.CharField(label=_("Parent code"), max_length=300, required=False)
    model_code = forms.ChoiceField(label=_("Battery model"), required=False)
    manufactured_on = forms.DateField(label=_("Manufacture date"), required=False)
    mass_kg = forms.DecimalField(label=_("Mass (kg)"), required=False, min_value=0, max_digits=10, decimal_places=3)

    def __init__(self, *args: Any, model_choices: list[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model_code"].choices = [("", "—")] + list(model_choices)


class UnitRecodeForm(_Form):
    new_code = forms.CharField(label=_("New code"), max_length=300,
                               help_text=_("the cascade-use code; the current code is kept as the original code"))
    scheme = forms.ChoiceField(label=_("Code scheme"), required=False,
                               choices=[("", _("Same as now"))] + list(CodeScheme.choices))
    status = forms.ChoiceField(label=_("Status"), choices=[(s.value, s.label) for s in RECODE_STATUSES])
    gtin = forms.CharField(label=_("GTIN"), max_length=20, required=False)
    serial = forms.CharField(label=_("Serial number"), max_length=40, required=False)


class UnitStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=UnitStatus.choices)


SHIPMENT_FIELDS = ("reference", "direction", "counterparty_name", "counterparty_country",
                   "counterparty_registration_id", "origin_country", "destination_country", "hs_code", "un_number",
                   "special_provision", "packing_instruction", "is_waste", "waste_code", "dispatch_date",
                   "arrival_date", "notes")


def _shipment_fields() -> dict[str, forms.Field]:
    fields = _model_fields(Shipment, SHIPMENT_FIELDS)
    fields["counterparty_name"].required = False
    for name in ("hs_code", "un_number", "counterparty_country", "origin_country", "destination_country"):
        fields[name].max_length = 20
        fields[name].widget.attrs["maxlength"] = 20
    fields["counterparty_platform"] = forms.CharField(
        label=_("Counterparty Cellpass address"), max_length=40, required=False,
        help_text=_("when the counterparty is on Cellpass: its address, e.g. ecocycle"))
    fields["unit_codes"] = forms.CharField(label=_("Unit codes"), required=False,
                                           widget=forms.Textarea(attrs={"rows": 4}),
                                           help_text=_("one code per line"))
    ordered = ["reference", "direction", "counterparty_platform", *SHIPMENT_FIELDS[2:], "unit_codes"]
    return {name: fields[name] for name in ordered}


ShipmentFormBase = type("ShipmentFormBase", (_Form,), _shipment_fields())


class ShipmentForm(ShipmentFormBase):  # type: ignore[valid-type,misc]
    def __init__(self, *args: Any, creating: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["status"] = forms.ChoiceField(
                label=_("Status"), initial=ShipmentStatus.DRAFT,
                choices=[(s.value, s.label) for s in INITIAL_SHIPMENT_STATUSES])


class MassForm(forms.Form):
    chemistry = forms.ChoiceField(label=_("Chemistry"), required=False, choices=[("", "—")] + list(Chemistry.choices))
    net_mass_kg = forms.DecimalField(label=_("Net mass (kg)"), required=False, min_value=0, max_digits=14,
                                     decimal_places=3)


MassFormSet = forms.formset_factory(MassForm, extra=3, max_num=len(Chemistry.choices))


class ShipmentStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ShipmentStatus.choices)


LOT_FIELDS = ("code", "kind", "mass_kg", "produced_on", "origin", "custody_model", "notes")


def _lot_fields() -> dict[str, forms.Field]:
    fields = _model_fields(MaterialLot, LOT_FIELDS)
    fields["source_shipments"] = forms.CharField(label=_("Source shipments"), required=False,
                                                 widget=forms.Textarea(attrs={"rows": 2}),
                                                 help_text=_("shipment references, one per line"))
    fields["source_lots"] = forms.CharField(label=_("Source lots"), required=False,
                                            widget=forms.Textarea(attrs={"rows": 2}),
                                            help_text=_("lot codes, one per line"))
    return fields


LotForm = type("LotForm", (_Form,), _lot_fields())


class ElementForm(forms.Form):
    element = forms.ChoiceField(label=_("Element"), required=False, choices=[("", "—")] + list(Element.choices))
    percent = forms.DecimalField(label=_("Content (%)"), required=False, max_digits=7, decimal_places=4)


ElementFormSet = forms.formset_factory(ElementForm, extra=4, max_num=len(Element.choices))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"), choices=ImportKind.choices, widget=forms.RadioSelect,
                             initial=ImportKind.UNITS)
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"), allow_empty_file=True)


def masses_from(formset: forms.BaseFormSet) -> dict[str, Any]:
    return {f.cleaned_data["chemistry"]: f.cleaned_data["net_mass_kg"] for f in formset.forms
            if f.cleaned_data.get("chemistry") and f.cleaned_data.get("net_mass_kg") is not None}


def elements_from(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    return [{"element": f.cleaned_data["element"], "percent": f.cleaned_data["percent"]} for f in formset.forms
            if f.cleaned_data.get("element") and f.cleaned_data.get("percent") is not None]
