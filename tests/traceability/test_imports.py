"""Bulk import: every bad input of issue 3 gets a clear, located message and leaves nothing half-stored;
a good file is committed whole; re-importing it changes nothing."""
import csv
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import translation
from openpyxl import Workbook

from apps.accounts.roles import Role
from apps.activity.models import ActivityEntry
from apps.core.errors import PermissionDeniedError
from apps.traceability import services
from apps.traceability.models import BatteryUnit, ImportBatch, Shipment
from apps.traceability.services.imports import REPORT_CAP, safe_filename

from .factories import cascade_code, gbt_code

HEADER = "code,level,parent_code,model_code,status,manufacture_date,original_code,mass_kg"


def unit_rows(n_packs: int = 2, start: int = 500) -> list[str]:
    rows = []
    for p in range(n_packs):
        pack, module = gbt_code("P", start + p), gbt_code("M", start + p)
        rows += [f"{pack},pack,,EV-NCM-75,original,2024-05-01,,412.5",
                 f"{module},module,{pack},EV-NCM-75,,,,",
                 f"{gbt_code('C', start + p)},cell,{module},,,,,"]
    return rows


def dry_run(access, text: str | bytes, *, kind: str = "units", name: str = "units.csv", encoding: str = "utf-8"):
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return services.import_dry_run(access=access, kind=kind, file=io.BytesIO(data), filename=name)


def issues(batch) -> list[tuple]:
    return [(i["row"], i["column"], i["code"]) for i in batch.report]


# --- the good path ------------------------------------------------------------------------------

def test_dry_run_stores_nothing_then_commit_stores_all_with_the_hierarchy(tenant, alpha_access, ev_model):
    batch = dry_run(alpha_access, "\n".join([HEADER, *unit_rows()]))
    assert (batch.status, batch.rows_total, batch.records_new, batch.error_count) == ("validated", 6, 6, 0)
    assert BatteryUnit.objects.count() == 0 and default_storage.exists(batch.file.name)
    assert batch.file.name.startswith("alpha/register-imports/")
    batch = services.import_commit(access=alpha_access, batch=batch)
    assert batch.status == "committed" and batch.committed_at is not None
    cell = BatteryUnit.objects.select_related("parent__parent", "model").get(code=gbt_code("C", 500))
    assert cell.parent.parent.code == gbt_code("P", 500)
    pack = BatteryUnit.objects.get(code=gbt_code("P", 500))
    assert (pack.model, pack.mass_kg, str(pack.manufactured_on)) == (ev_model, Decimal("412.5"), "2024-05-01")
    entry = ActivityEntry.objects.filter(verb="import.committed").get()
    assert entry.data["new"] == 6 and entry.data["sha256"] == batch.sha256


def test_reimporting_the_same_file_changes_nothing(tenant, alpha_access, ev_model):
    text = "\n".join([HEADER, *unit_rows()])
    services.import_commit(access=alpha_access, batch=dry_run(alpha_access, text))
    before = list(BatteryUnit.objects.order_by("code").values_list("id", "code", "updated_at"))
    again = dry_run(alpha_access, text)
    assert (again.status, again.records_new, again.records_unchanged, again.error_count) == ("validated", 0, 6, 0)
    services.import_commit(access=alpha_access, batch=again)
    assert list(BatteryUnit.objects.order_by("code").values_list("id", "code", "updated_at")) == before


def test_a_batch_is_committed_once(tenant, alpha_access, ev_model):
    batch = services.import_commit(access=alpha_access, batch=dry_run(alpha_access, "\n".join([HEADER, *unit_rows()])))
    with pytest.raises(Exception) as caught:
        services.import_commit(access=alpha_access, batch=batch)
    assert caught.value.code == "import_not_committable"


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b"")])
def test_chinese_headings_in_utf8_with_and_without_bom_and_in_gbk(tenant, alpha_access, encoding, prefix):
    with translation.override("zh-hans"):
        text = (f"编码 *,层级 *,上级编码,备注列\n{gbt_code('P', 1)},电池包,,x\n"
                f"{gbt_code('M', 2)},模组,{gbt_code('P', 1)},y\n")
    batch = dry_run(alpha_access, prefix + text.encode(encoding))
    assert batch.status == "validated" and batch.records_new == 2
    assert batch.encoding == {"utf-8": "utf-8-sig" if prefix else "utf-8", "gbk": "gb18030"}[encoding]
    assert [i["code"] for i in batch.report] == ["column_unknown"]  # "备注列" is ignored, with a warning
    services.import_commit(access=alpha_access, batch=batch)
    assert BatteryUnit.objects.get(code=gbt_code("M", 2)).parent.code == gbt_code("P", 1)


def test_xlsx_in_read_only_mode(tenant, alpha_access, ev_model):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Code", "Level", "Battery model", "Mass (kg)", "GTIN", "Serial number", "Code scheme"])
    sheet.append([gbt_code("P", 1), "pack", "EV-NCM-75", 412.5, None, None, None])
    sheet.append([None, "cell", None, None, 9521234543213, "SN-1", "gs1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = dry_run(alpha_access, buffer.getvalue(), name="export.XLSX")
    assert (batch.status, batch.file_format, batch.records_new) == ("validated", "xlsx", 2)
    services.import_commit(access=alpha_access, batch=batch)
    assert BatteryUnit.objects.get(scheme="gs1").code == "(01)09521234543213(21)SN-1"


# --- bad input ----------------------------------------------------------------------------------

def test_missing_columns_are_named_and_nothing_is_kept(tenant, alpha_access):
    batch = dry_run(alpha_access, "parent_code,status\nA,original\n")
    assert batch.status == "rejected" and not batch.file
    assert issues(batch) == [(1, "code", "column_missing"), (1, "level", "column_missing")]
    with translation.override("zh-hans"):
        assert "缺少“编码”列" in list(services.report_rows(batch))[0][3]


def test_duplicate_codes_inside_the_file(tenant, alpha_access):
    code = gbt_code("P", 1)
    batch = dry_run(alpha_access, f"code,level\n{code},pack\n{gbt_code('P', 2)},pack\n{code.lower()},pack\n")
    assert issues(batch) == [(4, "code", "duplicate_in_file")]
    assert batch.report[0]["params"] == {"code": code, "row": 2}


def test_codes_already_registered_with_other_values_are_refused(tenant, alpha_access, pack_tree):
    pack = pack_tree["pack"]
    batch = dry_run(alpha_access, f"code,level,status\n{pack.code},pack,original\n{pack.code[:-1]}9,pack,waste\n")
    assert batch.records_unchanged == 1 and batch.error_count == 0
    batch = dry_run(alpha_access, f"code,level,status\n{pack.code},pack,waste\n")
    assert issues(batch) == [(2, "status", "exists_different")]
    assert BatteryUnit.objects.get(pk=pack.pk).status == "original"


def test_recoded_codes_and_registered_original_codes(tenant, alpha_access, pack_tree):
    module = pack_tree["modules"][0]
    old = module.code
    services.unit_recode(access=alpha_access, unit=module, new_code=cascade_code("M", 1))
    text = (f"code,level,status,original_code\n{old},module,,\n"
            f"{cascade_code('M', 2)},module,repurposed,{pack_tree['modules'][1].code}\n"
            f"{cascade_code('M', 3)},module,original,{gbt_code('M', 99)}\n")
    batch = dry_run(alpha_access, text)
    assert set(issues(batch)) == {(2, "code", "code_was_recoded"), (3, "original_code", "original_code_registered"),
                                  (4, "status", "original_code_status")}


def test_invalid_check_digits_and_codes_are_located(tenant, alpha_access):
    text = ("code,level,scheme,gtin,serial\n"
            ",cell,gs1,9521234543210,SN1\n"
            f"X12PEPM27KLPCLX2M000000#,pack,,,\n"
            f"{gbt_code('M', 1)},pack,,,\n"
            "https://id.example/01/09521234543213/21/S1,cell,,,\n")
    batch = dry_run(alpha_access, text)
    assert issues(batch) == [(2, "code", "gs1_check_digit"), (3, "code", "gbt_charset"),
                             (4, "code", "gbt_level_mismatch")]
    assert batch.status == "rejected"


def test_parents_and_models_must_exist_and_follow_the_levels(tenant, alpha_access, pack_tree):
    text = (f"code,level,parent_code,model_code\n"
            f"{gbt_code('C', 1)},cell,{gbt_code('M', 404)},\n"
            f"{gbt_code('M', 2)},module,{pack_tree['cells'][0].code},\n"
            f"{gbt_code('P', 3)},pack,,NOPE\n"
            f"{gbt_code('C', 4)},cell,{gbt_code('M', 5)},\n"
            f"{gbt_code('M', 5)},module,{pack_tree['pack'].code},\n")
    batch = dry_run(alpha_access, text)
    assert issues(batch) == [(2, "parent_code", "parent_unknown"), (3, "parent_code", "parent_level"),
                             (4, "model_code", "model_unknown")]


def test_bad_values_are_reported_per_cell(tenant, alpha_access):
    text = ("code,level,status,manufacture_date,mass_kg\n"
            f"{gbt_code('P', 1)},box,old,2024-13-01,1,5\n"
            f"{gbt_code('P', 2)},pack,,2099-01-01,-3\n"
            f"{gbt_code('P', 3)},pack,,,1.23456\n"
            f",pack,,,\n")
    batch = dry_run(alpha_access, text)
    assert set(issues(batch)) == {(2, "level", "choice_invalid"), (2, "status", "choice_invalid"),
                                  (2, "manufactured_on", "date_invalid"), (3, "manufactured_on", "date_future"),
                                  (3, "mass_kg", "number_negative"), (4, "mass_kg", "number_places"),
                                  (5, "code", "value_required")}


def test_formulas_are_never_evaluated_and_never_written_back_unescaped(tenant, alpha_access, client_for, staff):
    text = (f'code,level,mass_kg,manufacture_date\n{gbt_code("P", 1)},pack,=1+1,"=DATE(2024,1,1)"\n'
            f'"=HYPERLINK(""http://x"",""{gbt_code("P", 2)}"")",pack,,\n')
    batch = dry_run(alpha_access, text)
    assert set(issues(batch)) >= {(2, "mass_kg", "formula_not_evaluated"), (2, "manufactured_on",
                                                                             "formula_not_evaluated")}
    assert (3, "code", "formula_not_evaluated") in issues(batch)
    user, _access = staff
    report = b"".join(client_for(user, tenant).get(f"/register/import/{batch.pk}/report.csv").streaming_content)
    cells = [cell for row in csv.reader(io.StringIO(report.decode("utf-8-sig"))) for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


def test_formula_in_an_xlsx_cell_is_text_not_a_value(tenant, alpha_access):
    workbook = Workbook()
    workbook.active.append(["code", "level", "mass_kg"])
    workbook.active.append([gbt_code("P", 1), "pack", "=SUM(1,2)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = dry_run(alpha_access, buffer.getvalue(), name="u.xlsx")
    assert issues(batch) == [(2, "mass_kg", "formula_not_evaluated")]
    assert batch.report[0]["params"]["value"] == "=SUM(1,2)"


@pytest.mark.parametrize("data,name,code", [
    (b"", "units.csv", "file_empty"),
    (b"%PDF-1.4\n1 0 obj", "units.csv", "file_type_mismatch"),
    (b"MZ\x90\x00", "units.csv", "file_type_mismatch"),
    (b"<html><script>alert(1)</script></html>", "units.xlsx", "file_type_mismatch"),
    (b"code,level\n", "units.exe", "file_type_unsupported"),
    (b"code,level\n\xff\xfe\xfa\x80\x81\xfb,pack\n", "units.csv", "file_encoding"),
])
def test_whole_file_refusals(tenant, alpha_access, data, name, code):
    batch = dry_run(alpha_access, data, name=name)
    assert (batch.status, issues(batch)) == ("rejected", [(None, "", code)]) and not batch.file


def test_oversized_file_is_refused_with_the_limit(tenant, alpha_access, settings):
    settings.TRACEABILITY_IMPORT_MAX_BYTES = 1024
    batch = dry_run(alpha_access, "\n".join([HEADER] + unit_rows(20)))
    assert issues(batch) == [(None, "", "file_too_large")] and batch.report[0]["params"]["max_mb"] == "0"
    with translation.override("en"):
        assert "files up to" in list(services.report_rows(batch))[0][3]


def test_too_many_rows_are_refused(tenant, alpha_access, settings):
    settings.TRACEABILITY_IMPORT_MAX_ROWS = 5
    batch = dry_run(alpha_access, "\n".join([HEADER] + unit_rows(2)))
    assert issues(batch) == [(None, "", "file_too_many_rows")] and not batch.file


@pytest.mark.parametrize("name,stored", [
    ("../../etc/passwd.csv", "passwd.csv"),
    ("C:\\Users\\li\\units.csv", "units.csv"),
    ("uni\x00ts\x07.csv", "units.csv"),
    ("u" * 300 + ".csv", "u" * 196 + ".csv"),
])
def test_hostile_file_names_are_neutralised(tenant, alpha_access, ev_model, name, stored):
    assert safe_filename(name) == stored
    batch = dry_run(alpha_access, "\n".join([HEADER, *unit_rows(1)]), name=name)
    assert batch.filename == stored and batch.status == "validated"
    assert "/" not in batch.file.name.split("register-imports/")[1]


def test_report_is_capped_but_counts_are_complete(tenant, alpha_access):
    text = "code,level\n" + "".join(f"BAD{i},pack\n" for i in range(REPORT_CAP + 50))
    batch = dry_run(alpha_access, text)
    assert batch.error_count == REPORT_CAP + 50 and len(batch.report) == REPORT_CAP


def test_a_good_file_with_one_bad_row_stores_nothing(tenant, alpha_access, ev_model):
    batch = dry_run(alpha_access, "\n".join([HEADER, *unit_rows(3), "NOT-A-CODE,pack,,,,,,"]))
    assert batch.status == "rejected"
    with pytest.raises(Exception):
        services.import_commit(access=alpha_access, batch=batch)
    assert BatteryUnit.objects.count() == 0


def test_commit_refused_when_the_register_changed_since_the_check(tenant, alpha_access, ev_model):
    batch = dry_run(alpha_access, "\n".join([HEADER, *unit_rows(2)]))
    services.unit_create(access=alpha_access, code=gbt_code("P", 501), level="pack", status="waste")
    batch = services.import_commit(access=alpha_access, batch=batch)
    assert batch.status == "failed" and (5, "code", "exists_different") in [
        (i["row"], "code", i["code"]) for i in batch.report]
    assert BatteryUnit.objects.count() == 1  # nothing of the file was stored
    assert ActivityEntry.objects.order_by("-id").first().verb == "import.refused"


def test_viewer_cannot_import(tenant, alpha, member_access):
    _user, viewer = member_access(alpha, Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        dry_run(viewer, "code,level\n")
    assert not ImportBatch.objects.exists()


# --- shipments ------------------------------------------------------------------------------------

SHIP_HEADER = ("reference,direction,status,counterparty_platform,counterparty_name,counterparty_country,hs_code,"
               "un_number,special_provision,packing_instruction,is_waste,waste_code,dispatch_date,notes,unit_code,"
               "chemistry,net_mass_kg")


def test_shipment_lines_merge_into_shipments_with_units_and_masses(tenant, alpha_access, pack_tree, beta):
    pack, module = pack_tree["pack"].code, pack_tree["modules"][0].code
    text = "\n".join([
        SHIP_HEADER,
        f"SO-1,outbound,draft,,EcoCycle GmbH,DE,8549.13,UN 3480,377,P909,yes,16 06 05,2026-04-12,=cmd,{pack},ncm,400",
        f"SO-1,,,,,,,,,,,,,,{module},ncm,50.5",
        "SO-1,,,,,,,,,,,,,,,lfp,10",
        "SO-2,inbound,received,beta,,,,,,,no,,2026-04-01,,,ncm,1",
    ])
    batch = dry_run(alpha_access, text, kind="shipments", name="shipments.csv")
    assert (batch.status, batch.rows_total, batch.records_new) == ("validated", 4, 2), batch.report
    services.import_commit(access=alpha_access, batch=batch)
    first = Shipment.objects.get(reference="SO-1")
    assert {m.chemistry: m.net_mass_kg for m in first.masses.all()} == {"ncm": Decimal("450.5"), "lfp": Decimal("10")}
    assert set(first.units.values_list("code", flat=True)) == {pack, module}
    assert (first.hs_code, first.un_number, first.waste_code, first.notes) == ("854913", "UN3480", "16 06 05", "=cmd")
    second = Shipment.objects.get(reference="SO-2")
    assert (second.counterparty_organisation_id, second.counterparty_name, second.status) == (
        beta.pk, "Beta Recycling GmbH", "received")
    again = dry_run(alpha_access, text, kind="shipments", name="shipments.csv")
    assert (again.records_new, again.records_unchanged, again.error_count) == (0, 2, 0)


def test_shipment_file_problems(tenant, alpha_access, pack_tree):
    pack = pack_tree["pack"].code
    text = "\n".join([
        SHIP_HEADER,
        f"SO-1,outbound,,,R,DE,8549.13,3480,377,P908,yes,,2026-04-12,,{pack},ncm,1",
        f"SO-1,inbound,,,,,,,,,,,,,{pack},ncm,1",
        f"SO-1,,,,,,,,,,,,,,{gbt_code('P', 404)},,",
        "SO-2,outbound,,nobody,,,,,,,,,,,,ncm,",
        "SO-3,,,,,,,,,,,,,,,,",
    ])
    batch = dry_run(alpha_access, text, kind="shipments", name="s.csv")
    assert set(issues(batch)) == {
        (2, "packing_instruction", "pi_sp_mismatch"), (2, "waste_code", "waste_code_required"),
        (3, "direction", "header_conflict"), (3, "unit_code", "unit_duplicate_in_shipment"),
        (4, "unit_code", "unit_unknown"), (5, "counterparty_platform", "counterparty_unknown"),
        (5, "net_mass_kg", "mass_needs_chemistry"), (6, "direction", "value_required"),
        (6, "counterparty_name", "counterparty_required")}


def test_existing_shipment_with_other_units_is_refused(tenant, alpha_access, pack_tree):
    services.shipment_create(access=alpha_access, reference="SO-1", direction="outbound", counterparty_name="R",
                             counterparty_country="DE", unit_codes=[pack_tree["pack"].code])
    module = pack_tree["modules"][0].code
    text = f"reference,direction,counterparty_name,counterparty_country,unit_code\nSO-1,outbound,R,DE,{module}"
    batch = dry_run(alpha_access, text, kind="shipments", name="s.csv")
    assert issues(batch) == [(2, "unit_code", "exists_different")]


# --- large files in the worker ------------------------------------------------------------------

@pytest.mark.worker
def test_large_commit_runs_in_the_worker_with_progress(committed, celery_worker_process, wait_for, member_access,
                                                       settings):
    from django_tenants.utils import schema_context

    alpha = committed["alpha"]
    _user, access = member_access(alpha, Role.STAFF)
    settings.TRACEABILITY_IMPORT_SYNC_MAX_ROWS = 3
    with schema_context(alpha.schema_name):
        batch = dry_run(access, "code,level\n" + "".join(f"{gbt_code('P', i)},pack\n" for i in range(1, 11)))
        batch = services.import_commit(access=access, batch=batch)
        assert batch.status == "committing"

    def done():
        with schema_context(alpha.schema_name):
            return ImportBatch.objects.get(pk=batch.pk).status == "committed"

    wait_for(done, timeout=60)
    with schema_context(alpha.schema_name):
        assert BatteryUnit.objects.count() == 10
        entry = ActivityEntry.objects.filter(verb="import.committed").get()
        assert entry.actor_id == access.user_id


def test_a_commit_that_crashes_ends_as_failed_and_stores_nothing(tenant, alpha_access, ev_model, monkeypatch):
    from apps.traceability import tasks

    batch = dry_run(alpha_access, "\n".join([HEADER, *unit_rows(1)]))

    def crash(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "import_commit_run", crash)
    status = tasks.import_commit_task.run(batch_id=str(batch.pk), actor_id=str(alpha_access.user_id),
                                          actor_label="x", channel="web", organisation_id=str(tenant.pk))
    batch.refresh_from_db()
    assert status == batch.status == "failed" and batch.report[0]["code"] == "import_crashed"
    assert BatteryUnit.objects.count() == 0
