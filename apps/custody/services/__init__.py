"""Writes of the custody ledger: dispatch, receipt, dispute, discrepancy thread, processing, certificate,
paper receipt, invitation of an off-platform recycler (one module per group of steps).

Every step, in one transaction: guarded transition on the locked transfer row, the rows it touches in the
tenant schemas, one ledger entry, and one activity entry in each party's schema.

Lock order (fixed, so two steps never wait on each other in a cycle): the row that decides the transition
first (the transfer; for a dispatch, the sender's shipment), then the discrepancy, then the sender's shipment
row, then the activity chains of the two schemas in schema-name order (before any register or vault service
records), then new rows.

Tenant rows go through the register's services; files (weighbridge tickets, receipts, assay reports, signed
certificates) through the vault's upload service, inside the step's `atomic_with_uploads()`: a step that
fails after the upload leaves neither the rows nor the file.
"""
from .common import TransferNotFoundError
from .discrepancy import discrepancy_comment, discrepancy_resolve
from .dispatch import recycler_invite, shipment_dispatch
from .receipt import transfer_attach_paper_receipt, transfer_confirm_receipt, transfer_dispute
from .recovery import LotInput, transfer_issue_certificate, transfer_record_processing

__all__ = ["LotInput", "TransferNotFoundError", "discrepancy_comment", "discrepancy_resolve", "recycler_invite",
           "shipment_dispatch", "transfer_attach_paper_receipt", "transfer_confirm_receipt", "transfer_dispute",
           "transfer_issue_certificate", "transfer_record_processing"]
