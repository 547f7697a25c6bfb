from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Severity, TargetKind

MSG_ONE_TARGET = _("Choose exactly one thing the finding is about: a shipment, an evidence revision or a requirement.")


class FindingRaiseForm(forms.Form):
    shipment = forms.ChoiceField(label=_("Shipment"), required=False)
    evidence_revision = forms.CharField(label=_("Evidence revision"), required=False, max_length=64,
                                        help_text=_("The revision's identifier (shown on the evidence page)."))
    requirement = forms.CharField(label=_("Checklist requirement"), required=False, max_length=100,
                                  help_text=_("The requirement's identifier, e.g. eu-recycled-content-co."))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Finding"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, shipments: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shipment"].choices = [("", "—")] + list(shipments)

    def clean(self):
        cleaned = super().clean()
        chosen = [(kind, cleaned.get(field)) for kind, field in (
            (TargetKind.SHIPMENT, "shipment"), (TargetKind.EVIDENCE_REVISION, "evidence_revision"),
            (TargetKind.REQUIREMENT, "requirement")) if cleaned.get(field)]
        if len(chosen) != 1:
            raise forms.ValidationError(MSG_ONE_TARGET)
        cleaned["target_kind"], cleaned["target_id"] = chosen[0]
        return cleaned


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))


class ResolveForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "resolve_%s")
        super().__init__(*args, **kwargs)

    text = forms.CharField(label=_("Resolution note (optional)"), max_length=10_000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
