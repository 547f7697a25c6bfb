"""Database-level guards shared by migrations."""

REFUSE_CHANGE_FUNCTION = """
CREATE OR REPLACE FUNCTION cellpass_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_sql(table: str) -> tuple[str, str]:
    """(forward, reverse) SQL making `table` refuse UPDATE and DELETE, for a RunSQL migration."""
    trigger = f"{table}_append_only"
    forward = REFUSE_CHANGE_FUNCTION + (
        f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION cellpass_refuse_change();"
    )
    reverse = f"DROP TRIGGER IF EXISTS {trigger} ON {table};"
    return forward, reverse
