"""Protocol files: the five shipped protocols load, every value cites its source, and a broken file is
refused with a message naming the file, the line and the problem."""
from pathlib import Path

import pytest

from apps.checklists.protocol import (
    PROTOCOL_DIR,
    ProtocolError,
    Registry,
    known_sources,
    load_registry,
    parse_protocol,
    registry,
)

SHIPPED = {"cn-export-2026", "gbt34014-codes", "eu-art8-recycled-content", "eu-art7-carbon-footprint",
           "iso22095-mass-balance"}

MINIMAL = """\
id: test-protocol
version: 1
title: {en: Test, zh: 测试}
text: {en: A test protocol., zh: 测试协议。}
scope: shipment
source: [CELLPASS]
parameters:
  tolerance_pct: {value: 2, source: [CELLPASS], confidence: U}
requirements:
  - id: contract
    title: {en: Contract, zh: 合同}
    text: {en: A contract., zh: 合同。}
    severity: critical
    source: [CHINASPECIALMETAL]
    evidence:
      types: [contract]
      valid_on: dispatch_date
"""


def test_the_five_protocols_load_with_their_scopes():
    protocols = {p.id: p for p in registry().latest_all()}
    assert SHIPPED <= set(protocols)
    assert protocols["cn-export-2026"].scope == "shipment"
    assert protocols["gbt34014-codes"].scope == "shipment"
    assert protocols["eu-art8-recycled-content"].scope == "model_year"
    assert protocols["eu-art7-carbon-footprint"].scope == "battery_model"
    assert protocols["iso22095-mass-balance"].scope == "material_lot"
    for protocol in protocols.values():
        assert protocol.title.en and protocol.title.zh and protocol.text.zh
        assert len(protocol.digest) == 64


def test_every_requirement_and_value_cites_a_known_source():
    sources = known_sources()
    for protocol in registry().latest_all():
        for requirement in protocol.requirements:
            assert requirement.sources and set(requirement.sources) <= set(sources)
            assert requirement.title.zh and requirement.text.en
            params = [p for call in requirement.applies_when + requirement.checks for p in call.params.values()]
            for param in params + list(protocol.parameters.values()):
                assert param.sources and set(param.sources) <= set(sources), (protocol.id, param.name)
                assert param.confidence in "CSU"


def test_unconfirmed_dates_of_acts_are_parameters_not_logic():
    art7 = registry().latest("eu-art7-carbon-footprint")
    assert art7.parameters["act_date"].value is None and art7.parameters["act_date"].confidence == "U"
    assert art7.parameters["unknown_act"].value == "pending"


def test_a_valid_minimal_file_parses():
    protocol = parse_protocol(MINIMAL, name="test.yaml")
    assert protocol.requirements[0].evidence.valid_on == "dispatch_date"


@pytest.mark.parametrize("broken, line, words", [
    (MINIMAL.replace("severity: critical", "severity: [critical"), 14, "test.yaml:14"),
    (MINIMAL.replace("    severity: critical\n", ""), 10, "'severity' is a required property"),
    (MINIMAL.replace("severity: critical", "severity: fatal"), 13, "'fatal' is not one of"),
    (MINIMAL.replace("types: [contract]", "types: [contrakt]"), 16, "unknown evidence type 'contrakt'"),
    (MINIMAL.replace("source: [CHINASPECIALMETAL]", "source: [NOSUCHKEY]"), 14, "unknown source key 'NOSUCHKEY'"),
    (MINIMAL.replace("valid_on: dispatch_date", "valid_on: shipped_on"), 17, "has no date 'shipped_on'"),
    (MINIMAL.replace("version: 1", "version: one"), 2, "'one' is not of type 'integer'"),
    (MINIMAL.replace("scope: shipment", "scope: planet"), 5, "'planet' is not one of"),
    (MINIMAL + "  - id: contract\n    title: {en: A, zh: B}\n    text: {en: A, zh: B}\n    severity: minor\n"
     "    source: [CELLPASS]\n    checks: [{check: units_coded}]\n", 18, "requirement id 'contract' is used twice"),
    (MINIMAL + "    checks:\n      - check: no_such_check\n", 19, "unknown check 'no_such_check'"),
    (MINIMAL + "    checks:\n      - check: recycled_minimum\n", 19, "does not apply to scope 'shipment'"),
    (MINIMAL + "    checks:\n      - check: quantities_agree\n        params:\n"
     "          pairs: {value: 3, source: [CELLPASS], confidence: U}\n", 21, "parameter 'pairs' should be a list"),
    (MINIMAL + "    checks:\n      - check: units_coded\n        params:\n"
     "          speed: {value: 3, source: [CELLPASS], confidence: U}\n", 21, "has no parameter 'speed'"),
    (MINIMAL.replace("id: test-protocol\n", "id: test-protocol\nid: again\n"), 2, "duplicate key 'id'"),
    (MINIMAL + "    upload: [photo]\n", 18, "unknown evidence type 'photo'"),
])
def test_a_broken_file_is_refused_naming_file_line_and_problem(broken, line, words):
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(broken, name="test.yaml")
    message = str(caught.value)
    assert message.startswith(f"test.yaml:{line}:"), message
    assert words in message


def test_empty_and_non_mapping_files_are_refused():
    for text in ("", "- a\n- b\n"):
        with pytest.raises(ProtocolError, match="empty or not a mapping"):
            parse_protocol(text, name="x.yaml")


def test_a_broken_file_in_the_folder_stops_loading(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(MINIMAL.replace("scope: shipment", "scope: 3"), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"^bad.yaml:5: 3 is not one of"):
        load_registry(tmp_path)


def test_the_same_id_and_version_twice_is_refused(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(ProtocolError, match="version 1 is also defined"):
        load_registry(tmp_path)


def test_versions_live_side_by_side_and_latest_wins(tmp_path: Path):
    (tmp_path / "v1.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "v2.yaml").write_text(MINIMAL.replace("version: 1", "version: 2"), encoding="utf-8")
    reg = load_registry(tmp_path)
    assert isinstance(reg, Registry)
    assert reg.latest("test-protocol").version == 2 and reg.get("test-protocol", 1).version == 1


def test_only_unconfirmed_parameters_may_be_overridden():
    protocol = parse_protocol(MINIMAL, name="t.yaml", overrides={"tolerance_pct": 5})
    assert protocol.parameters["tolerance_pct"].value == 5
    assert protocol.digest != parse_protocol(MINIMAL, name="t.yaml").digest
    confirmed = MINIMAL.replace("confidence: U}", "confidence: C}")
    with pytest.raises(ProtocolError, match="may not be overridden"):
        parse_protocol(confirmed, name="t.yaml", overrides={"tolerance_pct": 5})
    with pytest.raises(ProtocolError, match="unknown parameter 'speed'"):
        parse_protocol(MINIMAL, name="t.yaml", overrides={"speed": 5})


def test_the_act_date_of_art7_is_configured_per_deployment():
    reg = load_registry(PROTOCOL_DIR, overrides={"eu-art7-carbon-footprint": {"act_date": "2026-03-01"}})
    from datetime import date

    assert reg.latest("eu-art7-carbon-footprint").parameters["act_date"].value == date(2026, 3, 1)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    (tmp_path / "latin.yaml").write_bytes(MINIMAL.replace("测试", "t").encode("utf-8") + b"\xff\xfe")
    with pytest.raises(ProtocolError, match="not UTF-8"):
        load_registry(tmp_path)


def test_a_broken_configuration_is_reported_by_the_system_check(settings):
    from apps.checklists import checks_system, protocol

    settings.CHECKLIST_PARAMETERS = {"eu-art7-carbon-footprint": {"act_date": "2026-03-01", "act_name": "x"}}
    protocol.registry.cache_clear()
    try:
        (error,) = checks_system.protocols_load(None)
        assert error.id == "checklists.E001" and "parameter 'act_name' is confirmed (C)" in error.msg
        settings.CHECKLIST_PARAMETERS = {"eu-art7-carbon-footprint": {"act_date": "2026-03-01"}}
        protocol.registry.cache_clear()
        assert checks_system.protocols_load(None) == []
    finally:
        protocol.registry.cache_clear()
