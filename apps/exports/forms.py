from django import forms
from django.utils.translation import gettext_lazy as _

from apps.traceability.models import UnitStatus

from .lifecycle import TRANSITIONS


class PassportIssueForm(forms.Form):
    put_into_service_on = forms.DateField(label=_("Put into service on"), required=False,
                                          widget=forms.DateInput(attrs={"type": "date"}))


class PassportStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New battery status"))
    new_unit_code = forms.CharField(
        label=_("Re-coded unit (code in the register)"), required=False, max_length=64,
        help_text=_("For a cascade-use product re-coded under GB/T 34014: its new code. It must keep the "
                    "original code."))
    put_into_service_on = forms.DateField(label=_("Put into service on"), required=False,
                                          widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, current_status: str = UnitStatus.ORIGINAL, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS.get(current_status, frozenset())
        self.fields["status"].choices = [(value, label) for value, label in UnitStatus.choices if value in allowed]


class SubmissionForm(forms.Form):
    platform_reference = forms.CharField(label=_("Platform submission reference"), max_length=100)
    reported_on = forms.DateField(label=_("Submitted on"), widget=forms.DateInput(attrs={"type": "date"}))
