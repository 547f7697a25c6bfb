from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("one-time code", "Code"), max_length=32, strip=True,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text",
                                      "spellcheck": "false", "autocapitalize": "off"}))


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"), max_length=12, strip=True,
        help_text=_("After adding Cellpass to the app, enter the 6-digit code it shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "pattern": "[0-9 ]*"}))
