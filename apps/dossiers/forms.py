from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DossierLanguage, ScopeKind


class DossierRequestForm(forms.Form):
    scope_kind = forms.ChoiceField(label=_("The dossier covers"), choices=ScopeKind.choices,
                                   initial=ScopeKind.SHIPMENT)
    shipment = forms.ChoiceField(label=_("Shipment"), required=False)
    model = forms.ChoiceField(label=_("Battery model"), required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    plant = forms.CharField(label=_("Manufacturing plant"), required=False, max_length=200,
                            help_text=_("Leave empty to use the model's plant."))
    period_start = forms.DateField(label=_("Period start"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Period end"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(label=_("Language"), choices=DossierLanguage.choices)

    def __init__(self, *args, shipments=(), models=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipment"].choices = [("", "—")] + [
            (str(s.pk), f"{s.reference} · {s.counterparty_name}") for s in shipments]
        self.fields["model"].choices = [("", "—")] + [(str(m.pk), f"{m.code} · {m.name}") for m in models]


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("Dossier PDF"), required=False)
    sha256 = forms.CharField(label=_("or its SHA-256"), required=False, max_length=80,
                             widget=forms.TextInput(attrs={"placeholder": "e3b0c442…", "autocomplete": "off"}))
