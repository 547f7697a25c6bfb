"""Decoupled plumbing for the apps above the vault (checklists re-evaluate when evidence changes).

`evidence_changed` is sent after the transaction that uploaded, revised, reviewed or expired a
revision commits, with `evidence_id` and `schema` (the organisation's schema, for enqueuing tasks
there). Receivers must not assume they run inside the tenant context.
"""
from django.dispatch import Signal

evidence_changed = Signal()
