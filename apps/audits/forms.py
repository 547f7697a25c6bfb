from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import EngagementScope


def day_start(day: date) -> datetime:
    """00:00 of `day` in the site's time zone (settings.TIME_ZONE, UTC)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def window_from_dates(start: date, end: date) -> tuple[datetime, datetime]:
    """Dates as people enter them (the end date included) → [starts_at, ends_at)."""
    return day_start(start), day_start(end + timedelta(days=1))


class EngagementGrantForm(forms.Form):
    auditor_email = forms.EmailField(label=_("Auditor's e-mail address"), max_length=254)
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False,
                              help_text=_("e.g. the audit programme or the certificate it is for"))
    scope = forms.ChoiceField(label=_("Scope"), choices=EngagementScope.choices, initial=EngagementScope.ORGANISATION,
                              widget=forms.RadioSelect)
    shipments = forms.CharField(
        label=_("Shipments"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a chosen scope: shipment references (or identifiers), one per line."))
    dossier_ids = forms.CharField(
        label=_("Dossiers"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a chosen scope: dossier identifiers, one per line."))
    start_date = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Until (included)"), widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Access ends at the end of this day (UTC), without anyone having to act."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            today = timezone.now().date()
            self.initial.setdefault("start_date", today)
            self.initial.setdefault("end_date", today + timedelta(days=30))

    @staticmethod
    def lines(value: str) -> list[str]:
        return [line.strip() for line in (value or "").replace(",", "\n").splitlines() if line.strip()]
