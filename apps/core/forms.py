from django import forms

from .errors import ApplicationError


def apply_error(form: forms.Form, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its field when the form has it, else on top."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))
