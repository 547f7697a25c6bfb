"""The unit import's commit: foreign keys checked once per file instead of once per row, with the same result
as the per-row checks, and a register that changed under the commit refusing the whole file."""
import io
import uuid

import pytest
from django.db import connection
from django.utils import translation

from apps.traceability import services
from apps.traceability.models import BatteryUnit
from apps.traceability.services import imports

from .factories import gbt_code

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
