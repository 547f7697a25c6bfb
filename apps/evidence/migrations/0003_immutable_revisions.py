"""Database guards of the vault.

- A revision's file facts and content (sha256, size, content_type, storage_name, file name, dates, key
  fields, flags, uploader) are written once: UPDATE of any of them is refused, and so is DELETE.
  Only the review state (status, reviewer, reason) changes, and only along the workflow:
  submitted -> accepted | rejected | superseded | expired; accepted -> superseded | expired;
  rejected -> superseded; expired -> superseded; superseded is final.
- Reviews are append-only (like the activity log).
"""
from django.db import migrations

from apps.core.db import append_only_sql

GUARD = """
CREATE OR REPLACE FUNCTION evidence_revision_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'evidence revision %: revisions are never deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.evidence_id IS DISTINCT FROM OLD.evidence_id
       OR NEW.number IS DISTINCT FROM OLD.number
       OR NEW.storage_name IS DISTINCT FROM OLD.storage_name
       OR NEW.original_filename IS DISTINCT FROM OLD.original_filename
       OR NEW.sha256 IS DISTINCT FROM OLD.sha256
       OR NEW.size IS DISTINCT FROM OLD.size
       OR NEW.content_type IS DISTINCT FROM OLD.content_type
       OR NEW.effective_date IS DISTINCT FROM OLD.effective_date
       OR NEW.expiry_date IS DISTINCT FROM OLD.expiry_date
       OR NEW.key_fields IS DISTINCT FROM OLD.key_fields
       OR NEW.flags IS DISTINCT FROM OLD.flags
       OR NEW.uploaded_by_id IS DISTINCT FROM OLD.uploaded_by_id
       OR NEW.uploaded_by_label IS DISTINCT FROM OLD.uploaded_by_label
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'evidence revision %: the file and its recorded facts are immutable', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
           (OLD.status = 'submitted' AND NEW.status IN ('accepted', 'rejected', 'superseded', 'expired'))
        OR (OLD.status = 'accepted' AND NEW.status IN ('superseded', 'expired'))
        OR (OLD.status = 'rejected' AND NEW.status = 'superseded')
        OR (OLD.status = 'expired' AND NEW.status = 'superseded')) THEN
        RAISE EXCEPTION 'evidence revision %: status % cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evidence_revision_immutable BEFORE UPDATE OR DELETE ON evidence_evidencerevision
    FOR EACH ROW EXECUTE FUNCTION evidence_revision_guard();
"""
UNGUARD = "DROP TRIGGER IF EXISTS evidence_revision_immutable ON evidence_evidencerevision;"

REVIEW_FORWARD, REVIEW_REVERSE = append_only_sql("evidence_review")


class Migration(migrations.Migration):
    dependencies = [("evidence", "0002_current_revision_and_constraints")]

    operations = [
        migrations.RunSQL(GUARD, UNGUARD),
        migrations.RunSQL(REVIEW_FORWARD, REVIEW_REVERSE),
    ]
