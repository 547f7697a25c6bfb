"""The frozen snapshot is canonical: same data, same digest; any change, another digest."""
from dataclasses import replace

from apps.dossiers import glyphs, massflow
from apps.dossiers.snapshot import snapshot_bytes, snapshot_digest, snapshot_from_dict, snapshot_load, snapshot_to_dict
from tests.dossiers.snapshots import make_snapshot


def test_same_data_gives_the_same_digest_and_round_trips():
    first, second = make_snapshot(units=50), make_snapshot(units=50)
    assert first is not second
    assert snapshot_digest(first) == snapshot_digest(second)
    assert snapshot_from_dict(snapshot_to_dict(first)) == first
    assert snapshot_load(snapshot_bytes(first)) == first


def test_any_change_changes_the_digest():
    base = make_snapshot(units=5)
    renamed = make_snapshot(units=5, title="Recycling contract v2")
    one_unit_less = make_snapshot(units=4)
    other_status = replace(base, units=base.units[:-1] + (replace(base.units[-1], status="reused"),))
    digests = {snapshot_digest(s) for s in (base, renamed, one_unit_less, other_status)}
    assert len(digests) == 4


def test_units_are_stored_column_wise():
    data = snapshot_to_dict(make_snapshot(units=3))
    assert data["units"]["fields"][0] == "code"
    assert len(data["units"]["rows"]) == 3 and isinstance(data["units"]["rows"][0], list)


def test_mass_balance_and_recycled_content_from_the_lots():
    flow = make_snapshot().material_flow
    black, recovery = massflow.mass_balance(flow)
    assert (black.input_kg, black.output_kg, black.yield_percent) == (12000, 4200, 35)
    assert recovery.output_kg == 3900
    rows, inputs = massflow.recycled_content(flow)
    cobalt = next(r for r in rows if r.element == "Co")
    assert cobalt.post_consumer_kg == massflow.element_kg(flow.recovered[0], "Co") == 184.5
    assert cobalt.recycled_percent == 100 and cobalt.minimum_2031 == 16
    assert {i.lot for i in inputs} == {"CS-1", "NS-1"}


def test_characters_the_font_lacks_are_replaced_visibly():
    text, gone = glyphs.make_safe("电池 \U0001F50B ok \u0BF5")
    assert gone == {"\U0001F50B", "\u0BF5"}
    assert text == "电池 [U+1F50B] ok [U+0BF5]"
    assert glyphs.make_safe("华源动力 Müller") == ("华源动力 Müller", set())


def test_the_whole_snapshot_is_made_safe_without_touching_hashes():
    snapshot = make_snapshot(org_zh="华源\U0001F50B动力")
    safe, found = glyphs.make_snapshot_safe(snapshot)
    assert found == {"\U0001F50B"}
    assert safe.cover.organisation_name_zh == "华源[U+1F50B]动力"
    assert safe.evidence[0].sha256 == snapshot.evidence[0].sha256
    assert snapshot.cover.organisation_name_zh == "华源\U0001F50B动力"  # the original stays as it was
