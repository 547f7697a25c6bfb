"""The unit import's commit: foreign keys checked once per file instead of once per row, with the same result
as the per-row checks, and a register that changed under the commit refusing the whole file."""
import io
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone, translation

from apps.traceability import services
from apps.traceability.models import BatteryUnit
from apps.traceability.services import imports

from .factories import cascade_code, gbt_code

HEADER = "code,level,parent_code,model_code"


def checked(access, rows: list[str]):
    batch = services.import_dry_run(access=access, kind="units", file=io.BytesIO("\n".join([HEADER, *rows]).encode()),
                                    filename="units.csv")
    assert batch.status == "validated", batch.report
    return batch


def commit(access, rows: list[str]):
    return services.import_commit(access=access, batch=checked(access, rows))


def test_the_unit_table_has_no_trigger_that_a_set_based_commit_would_skip(tenant):
    """The set-based commit runs its INSERT without per-row triggers: a trigger added to the unit table one day
    would silently not run for imports. This test names it so the commit can be revisited."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'traceability_batteryunit'::regclass "
                       "AND NOT tgisinternal")
        assert cursor.fetchall() == []


def test_the_test_database_role_takes_the_set_based_path(tenant):
    with connection.cursor() as cursor:
        assert imports._row_triggers_skippable(cursor), "the per-row fallback is tested below; this path must run too"


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "per-row triggers"])
def test_both_commits_link_registered_and_new_parents_and_models(tenant, alpha_access, pack_tree, monkeypatch,
                                                                 set_based):
    if not set_based:
        monkeypatch.setattr(imports, "_row_triggers_skippable", lambda cursor: False)
    module = pack_tree["modules"][0]
    new_pack, new_module = gbt_code("P", 700), gbt_code("M", 700)
    batch = commit(alpha_access, [f"{gbt_code('C', 700)},cell,{module.code},",  # registered parent
                                  f"{gbt_code('C', 701)},cell,{new_module},",  # parent later in the file
                                  f"{new_module},module,{new_pack},",
                                  f"{new_pack},pack,,EV-NCM-75"])
    assert batch.status == "committed" and batch.records_new == 4
    cells = {u.code: u for u in BatteryUnit.objects.select_related("parent__parent", "model")
             .filter(code__in=[gbt_code("C", 700), gbt_code("C", 701)])}
    assert cells[gbt_code("C", 700)].parent == module
    assert cells[gbt_code("C", 701)].parent.parent.code == new_pack
    assert BatteryUnit.objects.get(code=new_pack).model == pack_tree["pack"].model
    with connection.cursor() as cursor:  # what the foreign keys promise, checked directly
        cursor.execute("SELECT count(*) FROM traceability_batteryunit u WHERE u.parent_id IS NOT NULL AND NOT EXISTS "
                       "(SELECT 1 FROM traceability_batteryunit p WHERE p.id = u.parent_id)")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"  # triggers are back on for whatever follows


def test_new_units_get_ascending_time_ordered_ids_in_file_order(tenant, alpha_access, ev_model):
    codes = [gbt_code("P", 800 + i) for i in range(5)]
    commit(alpha_access, [f"{code},pack,," for code in codes])
    ids = [BatteryUnit.objects.get(code=code).pk for code in codes]
    assert {i.version for i in ids} == {7} and ids == sorted(ids)
    assert len({i.hex[:12] for i in ids}) == 1  # one import, one timestamp
    assert all(isinstance(i, uuid.UUID) for i in ids)


def test_a_parent_deleted_while_the_commit_runs_refuses_the_whole_file(tenant, alpha_access, ev_model, monkeypatch):
    lonely = services.unit_create(access=alpha_access, code=gbt_code("M", 900), level="module")
    batch = checked(alpha_access, [f"{gbt_code('C', 900)},cell,{lonely.code},", f"{gbt_code('P', 901)},pack,,"])
    checks = imports._unit_checks

    def checks_then_someone_deletes_the_parent(*args, **kwargs):
        checks(*args, **kwargs)  # the parent was there when the file was checked …
        BatteryUnit.objects.filter(pk=lonely.pk).delete()  # … and is gone before the rows go in

    monkeypatch.setattr(imports, "_unit_checks", checks_then_someone_deletes_the_parent)
    batch = services.import_commit(access=alpha_access, batch=batch)
    assert batch.status == "failed" and [i["code"] for i in batch.report] == ["import_register_changed"]
    assert not BatteryUnit.objects.filter(code__in=[gbt_code("C", 900), gbt_code("P", 901)]).exists()
    assert BatteryUnit.objects.filter(pk=lonely.pk).exists()  # the deletion was part of the refused commit
    with translation.override("zh-hans"):
        message = imports.render_issue("units", batch.report[0])
    assert "登记册" in message and "未保存" in message


# --- the commit reuses the rows its dry run checked ---------------------------------------------

def test_the_dry_run_keeps_its_checked_rows_until_the_commit_has_used_them(tenant, alpha_access, ev_model):
    batch = checked(alpha_access, [f"{gbt_code('P', 960)},pack,,EV-NCM-75"])
    name = imports.staged_name(batch)
    assert default_storage.exists(name) and name.startswith("alpha/register-imports/")
    batch = services.import_commit(access=alpha_access, batch=batch)
    assert batch.status == "committed" and BatteryUnit.objects.get(code=gbt_code("P", 960)).model == ev_model
    assert not default_storage.exists(name)


def test_a_refused_dry_run_keeps_no_file_at_all(tenant, alpha_access):
    batch = services.import_dry_run(access=alpha_access, kind="units", filename="units.csv",
                                    file=io.BytesIO(f"{HEADER}\nNOT-A-CODE,pack,,".encode()))
    assert batch.status == "rejected" and not batch.file
    folder = "alpha/register-imports/"
    kept = default_storage.listdir(folder)[1] if default_storage.exists(folder) else []
    assert [name for name in kept if name.startswith(str(batch.pk))] == []


@pytest.mark.parametrize("reuse", ["staged rows", "file parsed again", "staged file damaged"])
def test_reused_or_parsed_again_the_commit_stores_the_same_and_reports_the_same_warnings(
        tenant, alpha_access, pack_tree, reuse):
    module = pack_tree["modules"][1]
    rows = [f"{gbt_code('C', 970)},cell,{module.code},,red", f"{gbt_code('P', 971)},pack,,EV-NCM-75,blue"]
    batch = services.import_dry_run(access=alpha_access, kind="units", filename="units.csv",
                                    file=io.BytesIO("\n".join([HEADER + ",colour", *rows]).encode()))
    assert batch.status == "validated" and [i["code"] for i in batch.report] == ["column_unknown"]
    if reuse == "file parsed again":
        default_storage.delete(imports.staged_name(batch))
    elif reuse == "staged file damaged":
        default_storage.delete(imports.staged_name(batch))
        default_storage.save(imports.staged_name(batch), ContentFile(b"not json\n1\tX\n"))
    batch = services.import_commit(access=alpha_access, batch=batch)
    assert batch.status == "committed" and (batch.records_new, batch.warning_count) == (2, 1)
    assert [(i["row"], i["code"]) for i in batch.report] == [(1, "column_unknown")]
    assert BatteryUnit.objects.get(code=gbt_code("C", 970)).parent == module
    assert not default_storage.exists(imports.staged_name(batch))


def test_rows_staged_under_other_rules_are_not_reused(tenant, alpha_access, settings):
    settings.TRACEABILITY_GBT34014 = {"accept_cascade_form": True}
    cascade = cascade_code("P", 980)
    batch = services.import_dry_run(
        access=alpha_access, kind="units", filename="units.csv",
        file=io.BytesIO(f"code,level,status,original_code\n{cascade},pack,repurposed,{gbt_code('P', 981)}".encode()))
    assert batch.status == "validated", batch.report
    settings.TRACEABILITY_GBT34014 = {"accept_cascade_form": False}  # the rules changed before the commit
    batch = services.import_commit(access=alpha_access, batch=batch)
    assert batch.status == "failed" and (2, "code") in [(i["row"], i["column"]) for i in batch.report]
    assert not BatteryUnit.objects.filter(code=cascade).exists()


def test_the_staging_key_follows_the_file_the_rules_and_the_day(settings, monkeypatch):
    key = imports.staging_key("a" * 64)
    assert imports.staging_key("a" * 64) == key != imports.staging_key("b" * 64)
    settings.TRACEABILITY_PASSPORT_HOSTS = ("passport.example.com",)
    assert imports.staging_key("a" * 64) != key
    settings.TRACEABILITY_PASSPORT_HOSTS = ()
    assert imports.staging_key("a" * 64) == key
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(imports.timezone, "localdate", lambda: tomorrow)
    assert imports.staging_key("a" * 64) != key
