"""Decoupled plumbing for the apps above custody (exports keeps the recycler's platform-reporting event of
a confirmed receipt current).

`transfer_changed` is sent after the transaction of a custody step commits, with `transfer_id`, `kind`
(the ledger entry's kind: dispatched, received, disputed, processed, certified …), `sender_schema` and
`receiver_schema`. Receivers must not assume they run inside either tenant's context, and must not fail
the request: the step is already committed.
"""
from django.dispatch import Signal

transfer_changed = Signal()
