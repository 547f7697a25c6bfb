"""Bulk import of units and shipments from CSV/XLSX: dry run, then an all-or-nothing commit.

How a file goes through (constant memory, whatever its size):
1. `spreadsheet.open_table` checks size, type and encoding and streams the rows;
2. each row is parsed and checked by the pure functions of `importing` and COPY-ed into a temporary table;
3. the checks that need the whole file or the register run as SQL on that table: duplicates in the file,
   records already registered (same values: unchanged; other values: refused), parents, models, units;
4. on commit, when nothing is wrong, INSERT ... SELECT moves the rows into the register in one transaction.
Re-importing a file changes nothing: existing records (keyed by code / reference) that match are skipped.
Issues are stored as codes with params, capped in number (the counts are complete), and shown in the
reader's language.

Every SQL statement here is assembled from constants of this module (table and column names, fixed checks);
values travel as parameters or through COPY. Hence the file-wide S608 exemption below.
"""
# ruff: noqa: S608
import functools
import hashlib
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.core.cache import cache
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.access import Access
from apps.accounts.roles import Perm
from apps.activity.services import Actor, activity_record
from apps.core.queue import enqueue_on_commit

from .. import codes, conf, importing, spreadsheet
from ..issues import WARNING, Issue, error, register_messages, render_message
from ..models import ImportBatch, ImportKind, ImportStatus
from .common import refuse_one, require

logger = logging.getLogger(__name__)

register_messages({
    "import_kind": _("Choose what the file holds: battery units or shipments."),
    "import_not_committable": _("This import cannot be committed: it has errors, or it was already committed."),
    "import_file_missing": _("The file of this import is no longer available; upload it again."),
    "file_required": _("Choose a file."),
    "import_crashed": _("The commit stopped unexpectedly; nothing was stored. Upload the file again."),
    "import_register_changed": _("The register changed while this import was being committed (a parent unit or "
                                 "battery model it refers to was deleted); nothing was stored. Upload the file "
                                 "again to see what is missing."),
})

REPORT_CAP = 500
PROGRESS_EVERY = 5000
COPY_FLUSH = 2000
IMPORT_WORK_MEM = "64MB"
UNIT_COLUMNS = ("code", "scheme", "level", "parent_code", "model_code", "status", "manufactured_on", "original_code",
                "mass_kg", "gtin", "serial")
UNIT_STAGE = f"import_units (row_no, {', '.join(UNIT_COLUMNS)})"  # the staged rows, as COPY names them
HEAD_COLUMNS = ("reference", *importing.SHIPMENT_HEAD_KEYS)
LINE_COLUMNS = ("unit_code", "chemistry", "net_mass_kg")
SHIPMENT_STAGE_COLUMNS = (*HEAD_COLUMNS, *LINE_COLUMNS)
CLEAN_HEAD_COLUMNS = ("row_no", "reference", "direction", "status", "counterparty_organisation_id",
                      "counterparty_name", "counterparty_country", "counterparty_registration_id", "origin_country",
                      "destination_country", "hs_code", "un_number", "special_provision", "packing_instruction",
                      "is_waste", "waste_code", "dispatch_date", "arrival_date", "notes")
SQL_TYPES = {"manufactured_on": "date", "mass_kg": "numeric", "is_waste": "boolean", "dispatch_date": "date",
             "arrival_date": "date", "net_mass_kg": "numeric", "row_no": "integer",
             "counterparty_organisation_id": "uuid", "params": "jsonb"}
UNIT_TABLE, MODEL_TABLE = "traceability_batteryunit", "traceability_batterymodel"
SHIPMENT_TABLE, SHIPMENT_UNIT_TABLE, SHIPMENT_MASS_TABLE = ("traceability_shipment", "traceability_shipmentunit",
                                                            "traceability_shipmentmass")


@dataclass
class Report:
    issues: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0
    rows: int = 0
    new: int = 0
    unchanged: int = 0
    file_format: str = ""
    encoding: str = ""

    def add(self, row: int | None, column: str, issue: Issue) -> None:
        if issue.severity == WARNING:
            self.warnings += 1
        else:
            self.errors += 1
        if len(self.issues) < REPORT_CAP:
            self.issues.append({"row": row, "column": column, **issue.as_dict()})

    @property
    def ok(self) -> bool:
        return self.errors == 0


class _Refused(Exception):
    """Raised inside the commit transaction to roll it back when the checks found errors."""


def _columns_sql(columns: tuple[str, ...]) -> str:
    return ", ".join(f"{name} {SQL_TYPES.get(name, 'text')}" for name in columns)


def _create_temp(cursor: Any, name: str, columns: tuple[str, ...]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} (row_no integer, {_columns_sql(columns)})")


class _Sink:
    """Rows into a temporary table through COPY, in blocks (a COPY must be closed before other statements)."""

    def __init__(self, cursor: Any, table: str, columns: tuple[str, ...]) -> None:
        self.cursor, self.statement = cursor, f"COPY {table} (row_no, {', '.join(columns)}) FROM STDIN"
        self.buffer: list[tuple] = []

    def write(self, row: tuple) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= COPY_FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            with self.cursor.copy(self.statement) as copy:
                for row in self.buffer:
                    copy.write_row(row)
            self.buffer = []


def _sql_issues(cursor: Any, report: Report, sql: str, params: list | None = None) -> None:
    """Run a check that yields (row_no, column, code, params jsonb, severity) into the issue table."""
    cursor.execute(f"INSERT INTO import_issues (row_no, col, code, params, severity) {sql}", params or [])


def _collect_sql_issues(cursor: Any, report: Report) -> None:
    cursor.execute("SELECT count(*) FILTER (WHERE severity = 'error'), count(*) FILTER (WHERE severity <> 'error') "
                   "FROM import_issues")
    errors, warnings = cursor.fetchone()
    report.errors += errors
    report.warnings += warnings
    cursor.execute("SELECT row_no, col, code, params, severity FROM import_issues ORDER BY row_no, col LIMIT %s",
                   [REPORT_CAP])
    sql_items = [{"row": r, "column": c, "code": k, "params": json.loads(p) if isinstance(p, str) else (p or {}),
                  "severity": s} for r, c, k, p, s in cursor.fetchall()]
    merged = sorted(report.issues + sql_items, key=lambda item: (item["row"] or 0, item["column"]))
    report.issues = merged[:REPORT_CAP]


# --- units --------------------------------------------------------------------------------------

def _unit_stage(cursor: Any, table: spreadsheet.Table, index: dict[str, int], report: Report,
                progress: Callable[[int], None] | None) -> None:
    _create_temp(cursor, "import_units", UNIT_COLUMNS)
    parse = importing.UnitRowParser(index, today=timezone.localdate(), gbt_rules=conf.gbt_rules(),
                                    passport_hosts=conf.passport_hosts())
    add, rows = report.add, 0
    # One COPY for the whole file: nothing else talks to the database while the rows stream in.
    with cursor.copy(f"COPY {UNIT_STAGE} FROM STDIN") as copy:
        write = copy.write_row
        for row_no, cells in table.rows:
            staged, found = parse(cells)
            if staged is None:
                continue
            rows += 1
            for column, issue in found:
                add(row_no, column, issue)
            write((row_no, *staged))
            if progress and rows % PROGRESS_EVERY == 0:
                progress(rows)
    report.rows += rows
    # Statistics of the staged rows: the checks then join the whole file by hashing. The register's own need no
    # refresh, since the planner scales them to the table's current size.
    _quick_analyze(cursor, "import_units")


def _unit_restage(cursor: Any, rows: IO[bytes]) -> None:
    """`_unit_stage` for rows a dry run staged (StagedRows): loaded as they are, with COPY."""
    _create_temp(cursor, "import_units", UNIT_COLUMNS)
    with cursor.copy(f"COPY {UNIT_STAGE} FROM STDIN") as copy:
        while block := rows.read(spreadsheet.CHUNK):
            copy.write(block)
    _quick_analyze(cursor, "import_units")


UNIT_DIFFERENCES = {
    "scheme": "u.scheme <> s.scheme", "level": "u.level <> s.level",
    "parent_code": "coalesce(up.code, '') <> s.parent_code", "model_code": "coalesce(um.code, '') <> s.model_code",
    "status": "u.status <> s.status", "manufactured_on": "u.manufactured_on IS DISTINCT FROM s.manufactured_on",
    "original_code": "u.original_code <> s.original_code", "mass_kg": "u.mass_kg IS DISTINCT FROM s.mass_kg",
    "gtin": "u.gtin <> s.gtin", "serial": "u.serial <> s.serial",
}


def _time_ordered_prefix() -> str:
    """The first 20 hex digits of a UUIDv7 (RFC 9562): the time in milliseconds, the version, the variant and
    26 random bits. The staged rows complete it with their row number (48 bits, the RFC's counter method), so
    the ids of one import are unique and ascending: the new keys go to the right edge of the indexes instead
    of all over them."""
    millis = time.time_ns() // 1_000_000
    return f"{millis:012x}7{secrets.randbits(12):03x}{0x8000 | secrets.randbits(14):04x}"


def _staged_id(alias: str) -> str:
    return f"(%s || lpad(to_hex({alias}.row_no), 12, '0'))::uuid"


def _unit_checks(cursor: Any, index: dict[str, int], report: Report) -> None:
    """One pass joins every staged row with what it refers to (the unit registered under its code, its parent in
    the register or in the file, its model, a unit re-coded from its code); the checks then read that table."""
    compared = [key for key in UNIT_DIFFERENCES if key in index]
    difference = "CASE " + " ".join(f"WHEN {UNIT_DIFFERENCES[k]} THEN '{k}'" for k in compared) + " END" \
        if compared else "NULL"
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {UNIT_TABLE} WHERE original_code > '')")
    recoded = (f"(SELECT DISTINCT ON (original_code) original_code, code FROM {UNIT_TABLE} "
               f"WHERE original_code > '')" if cursor.fetchone()[0] else "(SELECT '' AS original_code, '' AS code "
                                                                          "WHERE false)")
    cursor.execute("DROP TABLE IF EXISTS import_resolved")
    # Each staged row gets the id it will have in the register (parents in the same file are found by it).
    prefix = _time_ordered_prefix()
    cursor.execute(f"""
        CREATE TEMP TABLE import_resolved AS
        SELECT s.*, {_staged_id('s')} AS id,
               u.id AS existing_id, CASE WHEN u.id IS NOT NULL THEN {difference} END AS difference,
               coalesce(p.id, {_staged_id('f')}) AS resolved_parent_id, coalesce(p.level, f.level) AS parent_level,
               p.id IS NOT NULL AS parent_registered,
               m.id AS resolved_model_id, r.code AS recoded_as
        FROM import_units s
        LEFT JOIN {UNIT_TABLE} u ON s.code <> '' AND u.code = s.code
        LEFT JOIN {UNIT_TABLE} up ON up.id = u.parent_id
        LEFT JOIN {MODEL_TABLE} um ON um.id = u.model_id
        LEFT JOIN {UNIT_TABLE} p ON s.parent_code <> '' AND p.code = s.parent_code
        LEFT JOIN import_units f ON s.parent_code <> '' AND f.code = s.parent_code
        LEFT JOIN {MODEL_TABLE} m ON s.model_code <> '' AND m.code = s.model_code
        LEFT JOIN {recoded} r ON s.code <> '' AND r.original_code = s.code""", [prefix, prefix])
    _sql_issues(cursor, report, """
        SELECT s.row_no, 'code', 'duplicate_in_file', jsonb_build_object('code', s.code, 'row', d.first_row), 'error'
        FROM import_units s
        JOIN (SELECT code, min(row_no) AS first_row FROM import_units WHERE code <> '' GROUP BY code
              HAVING count(*) > 1) d ON d.code = s.code
        WHERE s.row_no <> d.first_row""")
    _sql_issues(cursor, report, """
        SELECT DISTINCT row_no, difference, 'exists_different', jsonb_build_object('code', code), 'error'
        FROM import_resolved WHERE difference IS NOT NULL""")
    _sql_issues(cursor, report, """
        SELECT DISTINCT row_no, 'code', 'code_was_recoded', jsonb_build_object('code', code, 'new_code', recoded_as),
               'error'
        FROM import_resolved WHERE recoded_as IS NOT NULL""")
    cursor.execute("SELECT EXISTS (SELECT 1 FROM import_units WHERE original_code <> '')")
    if cursor.fetchone()[0]:
        _sql_issues(cursor, report, f"""
            SELECT s.row_no, 'original_code', 'original_code_registered',
                   jsonb_build_object('code', s.original_code), 'error'
            FROM import_units s WHERE s.original_code <> ''
              AND (EXISTS (SELECT 1 FROM {UNIT_TABLE} u WHERE u.code = s.original_code)
                   OR EXISTS (SELECT 1 FROM import_units f WHERE f.code = s.original_code))""")
    _sql_issues(cursor, report, """
        SELECT DISTINCT row_no, 'parent_code',
               CASE WHEN parent_level IS NULL THEN 'parent_unknown' ELSE 'parent_level' END,
               jsonb_build_object('code', parent_code), 'error'
        FROM import_resolved
        WHERE parent_code <> '' AND (parent_level IS NULL
           OR (level <> '' AND NOT ((level = 'module' AND parent_level = 'pack')
                                    OR (level = 'cell' AND parent_level IN ('module', 'pack')))))""")
    _sql_issues(cursor, report, """
        SELECT DISTINCT row_no, 'model_code', 'model_unknown', jsonb_build_object('code', model_code), 'error'
        FROM import_resolved WHERE model_code <> '' AND resolved_model_id IS NULL""")
    cursor.execute("SELECT count(DISTINCT row_no) FILTER (WHERE existing_id IS NOT NULL AND difference IS NULL), "
                   "count(DISTINCT code) FILTER (WHERE existing_id IS NULL AND code <> '') FROM import_resolved")
    report.unchanged, report.new = cursor.fetchone()


def _row_triggers_skippable(cursor: Any) -> bool:
    """Whether this database role may switch off per-row triggers for one statement (superuser, or on
    PostgreSQL 15+ `GRANT SET ON PARAMETER session_replication_role`)."""
    if connection.pg_version >= 150000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    else:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
    return bool(cursor.fetchone()[0])


def _references_held(cursor: Any) -> bool:
    """The foreign keys of the new rows, checked once for the whole file (as PostgreSQL checks a constraint
    when it is added) instead of by one trigger per row: every registered parent and model they point to is
    locked against deletion (FOR KEY SHARE, the lock the per-row check takes) and still there, and every parent
    in the file is one of the new rows (by construction: a parent is taken from the file only when its code is
    not registered, and a row whose code is not registered is new). False when the register changed since the
    checks ran."""
    for table, column, scope in ((UNIT_TABLE, "resolved_parent_id", "parent_registered"),
                                 (MODEL_TABLE, "resolved_model_id", "true")):
        cursor.execute(f"""
            WITH wanted AS (SELECT DISTINCT {column} AS id FROM import_resolved
                            WHERE existing_id IS NULL AND {column} IS NOT NULL AND {scope}),
                 held AS (SELECT t.id FROM {table} t WHERE t.id IN (SELECT id FROM wanted) FOR KEY SHARE OF t)
            SELECT (SELECT count(*) FROM wanted) = (SELECT count(*) FROM held)""")
        if not cursor.fetchone()[0]:
            return False
    return True


def _unit_commit(cursor: Any, report: Report) -> None:
    """One INSERT from the resolved staging rows (it never reads the table it fills: planned on an empty table's
    statistics, such a read would rescan its own new rows for every row). A parent already registered keeps its
    id; a parent in the file has the id staged for it.

    When the role may, the foreign keys are checked set-based (`_references_held`) and the INSERT runs without
    the per-row trigger of each foreign key, which would otherwise cost a third of the commit. The unit table has
    no other trigger (tests/traceability/test_import_commit.py asserts it), and CHECK and UNIQUE constraints
    apply either way."""
    set_based = _row_triggers_skippable(cursor)
    if set_based and not _references_held(cursor):
        report.add(None, "", error("import_register_changed"))
        return
    if set_based:
        cursor.execute("SELECT set_config('session_replication_role', 'replica', true)")
    cursor.execute(f"""
        INSERT INTO {UNIT_TABLE} (id, created_at, updated_at, code, scheme, gtin, serial, level, parent_id,
                                  model_id, status, manufactured_on, original_code, mass_kg)
        SELECT id, now(), now(), code, scheme, gtin, serial, level, resolved_parent_id, resolved_model_id, status,
               manufactured_on, original_code, mass_kg
        FROM import_resolved WHERE existing_id IS NULL""")
    if set_based:
        cursor.execute("SELECT set_config('session_replication_role', 'origin', true)")
    _quick_analyze(cursor, UNIT_TABLE)


def _quick_analyze(cursor: Any, table: str) -> None:
    """Statistics that know the new rows at once: until then the next list pages would be planned on the old
    ones (a filter by level could turn into a scan of the whole table). A small sample (3,000 rows) suffices for
    the columns pages filter on (level, status, scheme, model) and costs a tenth of a full ANALYZE; autovacuum
    refines it as the table changes."""
    cursor.execute("SELECT current_setting('default_statistics_target'), "
                   "set_config('default_statistics_target', '10', true)")
    target = cursor.fetchone()[0]
    cursor.execute(f"ANALYZE {table}")
    cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [target])


# --- shipments ----------------------------------------------------------------------------------

def _shipment_stage(cursor: Any, table: spreadsheet.Table, index: dict[str, int], report: Report,
                    progress: Callable[[int], None] | None) -> None:
    _create_temp(cursor, "import_shipments", SHIPMENT_STAGE_COLUMNS)
    sink = _Sink(cursor, "import_shipments", SHIPMENT_STAGE_COLUMNS)
    today, waste_rules = timezone.localdate(), conf.waste_rules()
    for row_no, cells in table.rows:
        values, found = importing.parse_shipment_row(cells, index, today=today, waste_rules=waste_rules)
        if values is None:
            continue
        report.rows += 1
        for column, issue in found:
            report.add(row_no, column, issue)
        sink.write((row_no, *(values.get(key) for key in SHIPMENT_STAGE_COLUMNS)))
        if progress and report.rows % PROGRESS_EVERY == 0:
            progress(report.rows)
    sink.flush()
    cursor.execute("CREATE INDEX ON import_shipments (reference)")
    _quick_analyze(cursor, "import_shipments")


def _merged_heads_sql() -> str:
    picks = ", ".join(f"(array_agg({c} ORDER BY row_no) FILTER (WHERE {c} IS NOT NULL))[1] AS {c}"
                      for c in importing.SHIPMENT_HEAD_KEYS)
    return (f"SELECT min(row_no) AS row_no, reference, {picks} FROM import_shipments "
            f"WHERE reference <> '' GROUP BY reference ORDER BY min(row_no)")


def _shipment_heads(cursor: Any, organisation_id: Any, report: Report) -> None:
    """Each shipment's own fields, merged over its rows (first value given), checked once with the same rules as
    the forms and the API, and staged clean in import_heads."""
    from .shipments import counterparty_lookup

    for column in importing.SHIPMENT_HEAD_KEYS:
        _sql_issues(cursor, report, f"""
            SELECT row_no, '{column}', 'header_conflict',
                   jsonb_build_object('reference', reference, 'row', first_row), 'error'
            FROM (SELECT row_no, reference, {column} AS v, first_value({column}) OVER w AS f,
                         first_value(row_no) OVER w AS first_row
                  FROM import_shipments WHERE {column} IS NOT NULL
                  WINDOW w AS (PARTITION BY reference ORDER BY row_no)) t
            WHERE v IS DISTINCT FROM f""")
    _create_temp(cursor, "import_heads", CLEAN_HEAD_COLUMNS[1:])
    sink = _Sink(cursor, "import_heads", CLEAN_HEAD_COLUMNS[1:])
    counterparties: dict[str, importing.Counterparty | None] = {}
    waste_rules = conf.waste_rules()
    with connection.chunked_cursor() as reader:
        reader.execute(_merged_heads_sql())
        names = [d[0] for d in reader.description]
        while batch := reader.fetchmany(COPY_FLUSH):
            for record in batch:
                values = dict(zip(names, record, strict=True))
                slug = (values.get("counterparty_platform") or "").strip().lower()
                if slug and slug not in counterparties:
                    counterparties[slug] = counterparty_lookup(slug)
                clean, found = importing.check_shipment_header(
                    values, own_organisation_id=organisation_id, counterparty=counterparties.get(slug),
                    waste_rules=waste_rules)
                for column, issue in found:
                    if issue.code in ("value_required", "counterparty_required", "counterparty_unknown",
                                      "counterparty_self", "pi_sp_mismatch", "waste_code_required",
                                      "arrival_before_dispatch") or not issue.is_error:
                        report.add(values["row_no"], column, issue)
                clean["reference"] = values["reference"]
                sink.write((values["row_no"], *(clean.get(c) for c in CLEAN_HEAD_COLUMNS[1:])))
            sink.flush()
    cursor.execute("CREATE INDEX ON import_heads (reference)")


HEAD_DIFFERENCES = {
    "direction": "t.direction <> h.direction", "status": "t.status <> h.status",
    "counterparty_platform": "t.counterparty_organisation_id IS DISTINCT FROM h.counterparty_organisation_id",
    "counterparty_name": "t.counterparty_name <> h.counterparty_name",
    "counterparty_country": "t.counterparty_country <> h.counterparty_country",
    "counterparty_registration_id": "t.counterparty_registration_id <> h.counterparty_registration_id",
    "origin_country": "t.origin_country <> h.origin_country",
    "destination_country": "t.destination_country <> h.destination_country", "hs_code": "t.hs_code <> h.hs_code",
    "un_number": "t.un_number <> h.un_number", "special_provision": "t.special_provision <> h.special_provision",
    "packing_instruction": "t.packing_instruction <> h.packing_instruction", "is_waste": "t.is_waste <> h.is_waste",
    "waste_code": "t.waste_code <> h.waste_code",
    "dispatch_date": "t.dispatch_date IS DISTINCT FROM h.dispatch_date",
    "arrival_date": "t.arrival_date IS DISTINCT FROM h.arrival_date", "notes": "t.notes <> h.notes",
}


def _shipment_checks(cursor: Any, index: dict[str, int], organisation_id: Any, report: Report) -> None:
    _shipment_heads(cursor, organisation_id, report)
    _sql_issues(cursor, report, f"""
        SELECT s.row_no, 'unit_code', 'unit_unknown', jsonb_build_object('code', s.unit_code), 'error'
        FROM import_shipments s WHERE s.unit_code IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {UNIT_TABLE} u WHERE u.code = s.unit_code)""")
    _sql_issues(cursor, report, """
        SELECT row_no, 'unit_code', 'unit_duplicate_in_shipment',
               jsonb_build_object('code', unit_code, 'row', first_row), 'error'
        FROM (SELECT row_no, unit_code, min(row_no) OVER (PARTITION BY reference, unit_code) AS first_row
              FROM import_shipments WHERE unit_code IS NOT NULL) t WHERE row_no <> first_row""")
    _sql_issues(cursor, report, """
        SELECT min(row_no), 'net_mass_kg', 'number_too_large', '{}'::jsonb, 'error'
        FROM import_shipments WHERE chemistry IS NOT NULL GROUP BY reference, chemistry
        HAVING sum(net_mass_kg) >= 100000000000""")
    compared = [key for key in HEAD_DIFFERENCES if key in index]
    checks = [f"WHEN {HEAD_DIFFERENCES[k]} THEN '{k}'" for k in compared]
    if "unit_code" in index:
        checks.append(f"""WHEN coalesce((SELECT array_agg(DISTINCT unit_code ORDER BY unit_code) FROM import_shipments
                                    WHERE reference = h.reference AND unit_code IS NOT NULL), '{{}}')
                           IS DISTINCT FROM
                           coalesce((SELECT array_agg(u.code::text ORDER BY u.code) FROM {SHIPMENT_UNIT_TABLE} su
                                     JOIN {UNIT_TABLE} u ON u.id = su.unit_id WHERE su.shipment_id = t.id), '{{}}')
                      THEN 'unit_code'""")
    if "chemistry" in index:
        checks.append(f"""WHEN coalesce((SELECT array_agg((chemistry || '=' || trim_scale(total))::text
                                                ORDER BY chemistry)
                                     FROM (SELECT chemistry, sum(net_mass_kg) AS total FROM import_shipments
                                           WHERE reference = h.reference AND chemistry IS NOT NULL
                                           GROUP BY chemistry) f), '{{}}')
                           IS DISTINCT FROM
                           coalesce((SELECT array_agg((chemistry || '=' || trim_scale(net_mass_kg))::text
                                                ORDER BY chemistry)
                                     FROM {SHIPMENT_MASS_TABLE} WHERE shipment_id = t.id), '{{}}')
                      THEN 'chemistry'""")
    difference = "CASE " + " ".join(checks) + " END" if checks else "NULL"
    cursor.execute("DROP TABLE IF EXISTS import_existing")
    cursor.execute(f"""
        CREATE TEMP TABLE import_existing AS
        SELECT h.row_no, h.reference, {difference} AS col
        FROM import_heads h JOIN {SHIPMENT_TABLE} t ON t.reference = h.reference""")
    _sql_issues(cursor, report, """
        SELECT row_no, col, 'exists_different', jsonb_build_object('code', reference), 'error'
        FROM import_existing WHERE col IS NOT NULL""")
    cursor.execute("SELECT count(*) FROM import_existing WHERE col IS NULL")
    report.unchanged = cursor.fetchone()[0]
    cursor.execute(f"SELECT count(*) FROM import_heads h "
                   f"WHERE NOT EXISTS (SELECT 1 FROM {SHIPMENT_TABLE} t WHERE t.reference = h.reference)")
    report.new = cursor.fetchone()[0]


def _shipment_commit(cursor: Any) -> None:
    cursor.execute("DROP TABLE IF EXISTS import_new")
    cursor.execute(f"CREATE TEMP TABLE import_new AS SELECT reference FROM import_heads h "
                   f"WHERE NOT EXISTS (SELECT 1 FROM {SHIPMENT_TABLE} t WHERE t.reference = h.reference)")
    columns = ", ".join(CLEAN_HEAD_COLUMNS[1:])
    selected = ", ".join(f"coalesce(h.{c}, '')" if SQL_TYPES.get(c, "text") == "text" else f"h.{c}"
                         for c in CLEAN_HEAD_COLUMNS[1:])
    cursor.execute(f"""
        INSERT INTO {SHIPMENT_TABLE} (id, created_at, updated_at, {columns})
        SELECT gen_random_uuid(), now(), now(), {selected}
        FROM import_heads h JOIN import_new n ON n.reference = h.reference""")
    cursor.execute(f"""
        INSERT INTO {SHIPMENT_UNIT_TABLE} (shipment_id, unit_id)
        SELECT DISTINCT t.id, u.id FROM import_shipments s
        JOIN import_new n ON n.reference = s.reference
        JOIN {SHIPMENT_TABLE} t ON t.reference = s.reference
        JOIN {UNIT_TABLE} u ON u.code = s.unit_code""")
    cursor.execute(f"""
        INSERT INTO {SHIPMENT_MASS_TABLE} (shipment_id, chemistry, net_mass_kg)
        SELECT t.id, s.chemistry, sum(s.net_mass_kg) FROM import_shipments s
        JOIN import_new n ON n.reference = s.reference
        JOIN {SHIPMENT_TABLE} t ON t.reference = s.reference
        WHERE s.chemistry IS NOT NULL GROUP BY t.id, s.chemistry""")


# --- running a file through -----------------------------------------------------------------

def _drop_temp(cursor: Any) -> None:
    for name in ("import_units", "import_resolved", "import_shipments", "import_heads", "import_existing", "import_new",
                 "import_issues"):
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


@contextmanager
def _import_transaction() -> Iterator[Any]:
    """A savepoint with a cursor: a refused commit leaves nothing behind. The checks sort and hash whole files:
    room for that in memory, and no JIT compilation, whose cost only pays off for far longer queries (both for
    this transaction only)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)", [IMPORT_WORK_MEM])
        _create_temp(cursor, "import_issues", ("col", "code", "params", "severity"))
        yield cursor
        _drop_temp(cursor)


def process(*, kind: str, file: IO[bytes], filename: str, organisation_id: Any, commit: bool,
            progress: Callable[[int], None] | None = None, keep: "StagedRows | None" = None) -> Report:
    """Check a file (and, with `commit`, store it all when nothing is wrong). Runs in a savepoint: a refused
    commit leaves nothing behind. The caller holds the transaction. With `keep` (units only), a file that passes
    has its checked rows written there, for its commit to reuse (`process_staged`)."""
    report = Report()
    try:
        with spreadsheet.open_table(file, filename=filename, max_bytes=conf.import_max_bytes(),
                                    max_rows=conf.import_max_rows()) as table:
            report.file_format, report.encoding = table.file_format, table.encoding
            index, header_issues = importing.map_header(kind, table.header)
            for column, issue in header_issues:
                report.add(1, column, issue)
            if not report.ok:
                return report
            with _import_transaction() as cursor:
                if kind == ImportKind.UNITS:
                    _unit_stage(cursor, table, index, report, progress)
                    _unit_checks(cursor, index, report)
                else:
                    _shipment_stage(cursor, table, index, report, progress)
                    _shipment_checks(cursor, index, organisation_id, report)
                _collect_sql_issues(cursor, report)
                if commit and report.ok:
                    if kind == ImportKind.UNITS:
                        _unit_commit(cursor, report)
                    else:
                        _shipment_commit(cursor)
                if keep is not None and report.ok:
                    keep.write(cursor, index)
    except spreadsheet.SpreadsheetError as refusal:
        report.add(None, "", refusal.issue)
    return report


# --- the checked rows of a dry run, reused by its commit ------------------------------------------

@functools.cache
def _parser_fingerprint() -> str:
    """The code that turns a file into staged rows: reading, parsing, validating codes, the staged columns."""
    digest = hashlib.sha256()
    for module in (spreadsheet, importing, codes, sys.modules[__name__]):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def staging_key(sha256: str) -> str:
    """What the staged rows of a file depend on besides its bytes: the parser's code, the validation settings
    and the day (a date may not lie in the future). A commit reuses the rows only under the same key."""
    parts = (sha256, _parser_fingerprint(), timezone.localdate().isoformat(), repr(conf.gbt_rules()),
             repr(conf.passport_hosts()), ",".join(UNIT_COLUMNS))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass
class StagedRows:
    """The staged rows of a units file that passed its dry run, in PostgreSQL's COPY text format after one
    JSON line (the staging key and the file's column layout)."""

    file: IO[bytes]
    key: str

    def write(self, cursor: Any, index: dict[str, int]) -> None:
        self.file.write(json.dumps({"key": self.key, "index": index}).encode() + b"\n")
        with cursor.copy(f"COPY {UNIT_STAGE} TO STDOUT") as copy:
            for block in copy:
                self.file.write(block)

    def read_index(self) -> dict[str, int] | None:
        """The column layout, when the rows were staged under this key; None otherwise."""
        try:
            header = json.loads(self.file.readline())
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("key") != self.key:
            return None
        return header.get("index")


def staged_name(batch: ImportBatch) -> str:
    return f"{batch.file.name}.staged"


def process_staged(*, staged: StagedRows, prior: ImportBatch,
                   progress: Callable[[int], None] | None = None) -> Report | None:
    """Commit the rows its dry run staged: the checks against the register run again, in full; only reading and
    parsing the file are not repeated. None (nothing done) when the rows were staged under another key."""
    index = staged.read_index()
    if index is None:
        return None
    report = Report(issues=list(prior.report), warnings=prior.warning_count, rows=prior.rows_total,
                    file_format=prior.file_format, encoding=prior.encoding)  # a dry run that passed: warnings only
    with _import_transaction() as cursor:
        _unit_restage(cursor, staged.file)
        if progress:
            progress(report.rows)
        _unit_checks(cursor, index, report)
        _collect_sql_issues(cursor, report)
        if report.ok:
            _unit_commit(cursor, report)
    return report


def _digest(file: IO[bytes]) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    file.seek(0)
    while chunk := file.read(spreadsheet.CHUNK):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def safe_filename(name: str) -> str:
    """The name to show and store: no directories, control characters or NUL, at most 200 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip() or "import"
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= 8:
        return stem[: 200 - len(extension) - 1] + "." + extension
    return name[:200]


def _store(batch: ImportBatch, file: IO[bytes]) -> str:
    extension = os.path.splitext(batch.filename)[1].lower()[:8]
    file.seek(0)
    return default_storage.save(f"{connection.schema_name}/register-imports/{batch.pk}{extension}", File(file))


def import_dry_run(*, access: Access, kind: str, file: IO[bytes] | None, filename: str) -> ImportBatch:
    """Check an uploaded file without changing the register; keep the file (private storage) only when it can
    be committed, and for units its checked rows too, for the commit to reuse. Returns the batch with its
    report."""
    require(access, Perm.REGISTER_IMPORT)
    if kind not in ImportKind.values:
        refuse_one("kind", error("import_kind"))
    if file is None:
        refuse_one("file", error("file_required"))
    filename = safe_filename(filename)
    sha256, size = _digest(file)
    with tempfile.TemporaryFile() as rows:
        keep = StagedRows(rows, staging_key(sha256)) if kind == ImportKind.UNITS else None
        with transaction.atomic():
            report = process(kind=kind, file=file, filename=filename, organisation_id=access.organisation_id,
                             commit=False, keep=keep)
        batch = ImportBatch(kind=kind, status=ImportStatus.VALIDATED if report.ok else ImportStatus.REJECTED,
                            filename=filename, file_format=report.file_format or os.path.splitext(filename)[1][1:8],
                            encoding=report.encoding, sha256=sha256, size=size, rows_total=report.rows,
                            records_new=report.new, records_unchanged=report.unchanged, error_count=report.errors,
                            warning_count=report.warnings, report=report.issues, created_by_id=access.user_id,
                            created_by_label=access.actor.label[:254])
        stored = []
        try:
            if report.ok:
                stored.append(_store(batch, file))
                batch.file.name = stored[0]
                if keep is not None:
                    rows.seek(0)
                    stored.append(default_storage.save(staged_name(batch), File(rows)))
            with transaction.atomic():
                batch.save()
                activity_record(actor=access.actor, verb="import.checked", obj=batch,
                                data={"kind": kind, "filename": filename, "sha256": sha256, "rows": report.rows,
                                      "errors": report.errors, "new": report.new, "unchanged": report.unchanged})
        except Exception:
            for name in stored:
                default_storage.delete(name)
            raise
    return batch


def progress_key(batch_id: Any) -> str:
    return f"traceability:import-progress:{batch_id}"


def import_progress(batch: ImportBatch) -> int:
    return int(cache.get(progress_key(batch.pk)) or 0)


def import_commit(*, access: Access, batch: ImportBatch) -> ImportBatch:
    """Commit a checked import, all or nothing. Large files are committed by the worker (status committing,
    progress in the cache); small ones right away."""
    require(access, Perm.REGISTER_IMPORT)
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportStatus.VALIDATED:
            refuse_one("", error("import_not_committable"))
        if batch.rows_total > conf.import_sync_max_rows():
            batch.status = ImportStatus.COMMITTING
            batch.save(update_fields=["status", "updated_at"])
            from ..tasks import import_commit_task

            enqueue_on_commit(import_commit_task, batch_id=str(batch.pk), actor_id=str(access.actor.id or ""),
                              actor_label=access.actor.label, channel=access.actor.channel,
                              organisation_id=str(access.organisation_id))
            return batch
    return import_commit_run(batch_id=batch.pk, actor=access.actor, organisation_id=access.organisation_id)


def import_commit_run(*, batch_id: Any, actor: Actor, organisation_id: Any) -> ImportBatch:
    """Re-check the stored file against the register as it is now and store it all, or nothing (then the batch
    is marked failed with the new report). Idempotent: a committed batch is left alone."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status == ImportStatus.COMMITTED:
        return batch
    if not batch.file or not default_storage.exists(batch.file.name):
        report = Report()
        report.add(None, "", error("import_file_missing"))
        return _mark_failed(batch, report, actor)
    cache.set(progress_key(batch.pk), 0, timeout=3600)

    def progress(rows: int) -> None:
        cache.set(progress_key(batch_id), rows, timeout=3600)

    try:
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if locked.status == ImportStatus.COMMITTED:
                return locked
            report = None
            if locked.kind == ImportKind.UNITS and default_storage.exists(staged_name(locked)):
                with default_storage.open(staged_name(locked), "rb") as rows:
                    report = process_staged(staged=StagedRows(rows, staging_key(locked.sha256)), prior=locked,
                                            progress=progress)
            if report is None:  # no staged rows, or staged under other code, settings or another day
                with default_storage.open(locked.file.name, "rb") as stored:
                    report = process(kind=locked.kind, file=stored, filename=locked.filename,
                                     organisation_id=organisation_id, commit=True, progress=progress)
            if not report.ok:
                raise _Refused(report)
            locked.status, locked.committed_at = ImportStatus.COMMITTED, timezone.now()
            locked.records_new, locked.records_unchanged = report.new, report.unchanged
            locked.warning_count, locked.report = report.warnings, report.issues
            locked.save(update_fields=["status", "committed_at", "records_new", "records_unchanged",
                                       "warning_count", "report", "updated_at"])
            activity_record(actor=actor, verb="import.committed", obj=locked,
                            data={"kind": locked.kind, "filename": locked.filename, "sha256": locked.sha256,
                                  "rows": report.rows, "new": report.new, "unchanged": report.unchanged})
            progress(report.rows)
            return locked
    except _Refused as refused:
        return _mark_failed(batch, refused.args[0], actor)
    finally:  # committed or not, the staged rows have served (a failed batch is not committed again)
        if batch.kind == ImportKind.UNITS:
            default_storage.delete(staged_name(batch))


@transaction.atomic
def _mark_failed(batch: ImportBatch, report: Report, actor: Actor) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    batch.status, batch.error_count = ImportStatus.FAILED, report.errors
    batch.warning_count, batch.report = report.warnings, report.issues
    batch.save(update_fields=["status", "error_count", "warning_count", "report", "updated_at"])
    activity_record(actor=actor, verb="import.refused", obj=batch,
                    data={"kind": batch.kind, "filename": batch.filename, "errors": report.errors})
    return batch


def render_issue(kind: str, item: dict[str, Any]) -> str:
    """The message of a stored report item in the active language (column names of the layout translated)."""
    params = dict(item.get("params") or {})
    if item["code"] == "column_missing":
        params["column"] = importing.column_label(kind, params.get("column", ""))
    return render_message(item["code"], params)


def import_mark_crashed(*, batch_id: Any, actor: Actor) -> ImportBatch:
    """A commit that failed for an unexpected reason: nothing was stored (its transaction rolled back)."""
    report = Report()
    report.add(None, "", error("import_crashed"))
    return _mark_failed(ImportBatch.objects.get(pk=batch_id), report, actor)


def report_rows(batch: ImportBatch) -> Iterator[tuple[Any, str, str, str]]:
    """(row, column heading, severity, message) in the active language, for the page and the CSV download."""
    for item in batch.report:
        yield (item.get("row") or "", importing.column_label(batch.kind, item.get("column") or ""),
               item.get("severity", ""), render_issue(batch.kind, item))
