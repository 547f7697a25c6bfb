"""Django system check: every protocol file loads (JSON Schema, names, sources, parameter overrides).
`manage.py check`, `migrate` and the web/worker start-up then refuse a broken file with its line."""
from django.core.checks import Error, register


@register()
def protocols_load(app_configs, **kwargs):
    from .protocol import ProtocolError, registry

    try:
        registry()
    except ProtocolError as error:
        return [Error(f"A checklist protocol file is broken: {error}", id="checklists.E001",
                      hint="Fix the file (apps/checklists/protocols/) or settings.CHECKLIST_PARAMETERS.")]
    return []
