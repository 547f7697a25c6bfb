from django import forms
from django.utils.translation import gettext_lazy as _


class ProtocolSelectionForm(forms.Form):
    protocols = forms.MultipleChoiceField(label=_("Protocols that apply to this organisation"), required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, protocols, language: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocols"].choices = [(p.id, f"{p.title.get(language)} (v{p.version})") for p in protocols]
