from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.traceability.models import Element, LotKind

from .services import LotInput

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MASS = {"max_digits": 14, "decimal_places": 3, "min_value": Decimal(0)}
FILE_HELP = _("A PDF or a scan (PNG, JPEG, TIFF); it is checked and kept in your evidence vault.")


class DispatchForm(forms.Form):
    shipment = forms.ChoiceField(label=_("Shipment"))
    receiver = forms.ChoiceField(label=_("Recycler"))
    manifest = forms.ChoiceField(label=_("Transport manifest"), required=False,
                                 help_text=_("Its SHA-256 is written into the ledger with the declared figures."))

    def __init__(self, *args, shipments=(), recyclers=(), manifests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipment"].choices = [("", "—")] + [(str(s.pk), s.reference) for s in shipments]
        self.fields["receiver"].choices = [("", "—")] + [
            (str(r.pk), r.name_en if r.joined else f"{r.name_en} ({_('invited, not joined yet')})") for r in recyclers]
        self.fields["manifest"].choices = [("", _("the latest one"))] + [
            (str(m.pk), f"{m.evidence.title} · r{m.number} · {m.sha256[:12]}…") for m in manifests]


class ReceiptForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    net_mass_kg = forms.DecimalField(label=_("Received net mass (kg)"), **MASS)
    unit_count = forms.IntegerField(label=_("Units received"), min_value=0, max_value=2**31 - 1)
    ticket_number = forms.CharField(label=_("Weighbridge ticket number"), max_length=64, required=False)
    gross_kg = forms.DecimalField(label=_("Gross weight on the ticket (kg)"), **MASS)
    tare_kg = forms.DecimalField(label=_("Tare weight on the ticket (kg)"), **MASS)
    vehicle_registration = forms.CharField(label=_("Vehicle registration"), max_length=40, required=False)
    ticket = forms.FileField(label=_("Weighbridge ticket"), help_text=FILE_HELP)


class DisputeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    received_on = forms.DateField(label=_("Received on"), widget=DATE, required=False)
    net_mass_kg = forms.DecimalField(label=_("Received net mass (kg)"), required=False, **MASS)
    unit_count = forms.IntegerField(label=_("Units received"), min_value=0, max_value=2**31 - 1, required=False)


class PaperReceiptForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    net_mass_kg = forms.DecimalField(label=_("Received net mass (kg)"), required=False, **MASS)
    unit_count = forms.IntegerField(label=_("Units received"), min_value=0, max_value=2**31 - 1, required=False)
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=100, required=False)
    document = forms.FileField(label=_("Signed receipt"), help_text=FILE_HELP)


PERCENT = {"max_digits": 7, "decimal_places": 4, "min_value": Decimal(0), "max_value": Decimal(100),
           "required": False}
ASSAY_ELEMENTS = (Element.COBALT, Element.NICKEL, Element.LITHIUM, Element.MANGANESE, Element.IRON,
                  Element.PHOSPHORUS)


class LotForm(forms.Form):
    code = forms.CharField(label=_("Lot code"), max_length=64, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—")] + LotKind.choices, required=False)
    mass_kg = forms.DecimalField(label=_("Mass (kg)"), required=False, **MASS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for element in ASSAY_ELEMENTS:
            self.fields[element.value] = forms.DecimalField(label=f"{element.value} %", **PERCENT)

    def clean(self):
        cleaned = super().clean()
        filled = [cleaned.get(name) not in (None, "") for name in ("code", "kind", "mass_kg")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Give each lot a code, a kind and a mass."))
        return cleaned

    def lot(self) -> LotInput | None:
        data = self.cleaned_data
        if not data.get("code"):
            return None
        elements = {e.value: data[e.value] for e in ASSAY_ELEMENTS if data.get(e.value) is not None}
        return LotInput(code=data["code"], kind=data["kind"], mass_kg=data["mass_kg"], elements=elements)


LotFormSet = forms.formset_factory(LotForm, extra=4, max_num=20, absolute_max=20)


class ProcessingForm(forms.Form):
    processed_on = forms.DateField(label=_("Processed on"), widget=DATE)
    notes = forms.CharField(label=_("Notes"), max_length=4000, required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))
    assay_report = forms.FileField(label=_("Assay report"), required=False, help_text=FILE_HELP)
    assay_laboratory = forms.CharField(label=_("Laboratory"), max_length=200, required=False,
                                       help_text=_("Required with an assay report."))
    assay_sample_date = forms.DateField(label=_("Sample date"), widget=DATE, required=False,
                                        help_text=_("Required with an assay report."))
    assay_report_number = forms.CharField(label=_("Report number"), max_length=100, required=False)
    assay_lot = forms.CharField(label=_("Lot the report is for"), max_length=64, required=False,
                                help_text=_("Its code; when empty, the first black mass lot with element contents."))


class CertificateForm(forms.Form):
    number = forms.CharField(label=_("Certificate number"), max_length=64)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)
    statement = forms.CharField(label=_("Statement"), max_length=4000, required=False,
                                widget=forms.Textarea(attrs={"rows": 3}))
    signed_file = forms.FileField(label=_("Signed certificate"), required=False, help_text=FILE_HELP)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class InviteRecyclerForm(forms.Form):
    name_en = forms.CharField(label=_("Legal name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Legal name (Chinese)"), max_length=200, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, min_length=2, help_text=_("ISO 3166 alpha-2 code"))
    email = forms.EmailField(label=_("E-mail address of their contact"), max_length=254)
