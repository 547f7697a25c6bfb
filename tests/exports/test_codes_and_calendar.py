"""GS1 Digital Link paths, GB/T 34014 codes and Chinese working-day deadlines (pure)."""
from datetime import date, timedelta

import pytest

from apps.exports import digitallink, reporting, workdays
from apps.exports.digitallink import CodeError


@pytest.mark.parametrize("gtin", ["02345673", "416000336108", "1234567890128", "12345678901231", "09506000134352"])
def test_valid_gtins_normalise_to_fourteen_digits(gtin):
    assert digitallink.normalise_gtin(gtin) == gtin.zfill(14)


@pytest.mark.parametrize(("gtin", "code"), [
    ("12345673", "gtin_check_digit"), ("1234567890129", "gtin_check_digit"), ("12345678901232", "gtin_check_digit"),
    ("123456", "gtin_format"), ("0950600013435X", "gtin_format"), ("", "gtin_format"),
    ("０９５０６０００１３４３５２", "gtin_format"),
])
def test_gtins_that_do_not_parse_are_refused_with_a_reason(gtin, code):
    with pytest.raises(CodeError) as error:
        digitallink.normalise_gtin(gtin)
    assert error.value.code == code and str(error.value.message)


@pytest.mark.parametrize(("serial", "ok"), [("SN-2603/0101", True), ("A" * 20, True), ("A" * 21, False),
                                              ("", False), ("SN 1", False), ("序列号", False), ("x#1", False)])
def test_serial_numbers_use_gs1_character_set_82(serial, ok):
    if ok:
        assert digitallink.check_serial(serial) == serial
    else:
        with pytest.raises(CodeError):
            digitallink.check_serial(serial)


def test_digital_link_path_percent_encodes_the_serial():
    assert digitallink.parse("9506000134352", "AB/12").path == "/01/09506000134352/21/AB%2F12"
    assert digitallink.link_for("", "SN1") is None and digitallink.link_for("09506000134352", "") is None


@pytest.mark.parametrize(("code", "ok"), [
    ("X12MCPM27KLPCLX2M2382320", True), ("SEVPE75N3A0001R350000101", True), ("SEVPESTRB40000201RP", True),
    ("SEVPE75N3A0001R350000101X", False), ("sevpe75n3a0001r350000101", False), ("SEVXE75N3A0001R350000101", False),
    ("SEVPE75N3A0001RD50000101", False),  # month D does not exist
])
def test_gbt34014_codes(code, ok):
    assert reporting.is_gbt34014(code) is ok


def test_recycler_receipt_deadline_crosses_national_day_week():
    # 2026-09-28: National Day / Mid-Autumn holidays 1-7 Oct; Sat 10 Oct 2026 is an adjusted working day.
    deadline = reporting.deadline_for("recycler_receipt", date(2026, 9, 28))
    assert deadline.working_days == 30 and not deadline.provisional
    assert deadline.due == date(2026, 11, 13)
    naive = date(2026, 9, 28)
    weekdays = 0
    while weekdays < 30:
        naive += timedelta(days=1)
        weekdays += naive.weekday() < 5
    assert naive < deadline.due  # counting Monday-Friday only would be days too early
    assert workdays.holidays_between(date(2026, 9, 28), deadline.due) == [
        date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7)]
    assert workdays.adjusted_working_weekends_between(date(2026, 9, 28), deadline.due) == [date(2026, 10, 10)]


def test_adjusted_working_weekend_counts_as_a_working_day():
    # Fri 9 Oct 2026 + 1 working day = Sat 10 Oct 2026 (调休), not Mon 12 Oct.
    assert workdays.add_working_days(date(2026, 10, 9), 1).due == date(2026, 10, 10)
    assert workdays.is_working_day(date(2026, 10, 10)) == (True, True)
    assert workdays.is_working_day(date(2026, 10, 1)) == (False, True)


def test_cascade_product_deadline_across_spring_festival_2026():
    # Spring Festival 2026: 15-23 Feb off; Sat 14 Feb and Sat 28 Feb are working days. Counting from
    # Tue 10 Feb: 11, 12, 13, 14 (Sat), 24, 25, 26, 27, 28 (Sat), 2, 3, 4, 5, 6, 9 March.
    deadline = reporting.deadline_for("cascade_product_out", date(2026, 2, 10))
    assert deadline.working_days == 15 and deadline.due == date(2026, 3, 9)
    assert date(2026, 2, 16) in workdays.holidays_between(date(2026, 2, 10), deadline.due)
    assert workdays.adjusted_working_weekends_between(date(2026, 2, 10), deadline.due) == [date(2026, 2, 14),
                                                                                           date(2026, 2, 28)]


def test_deadline_in_a_year_the_calendar_does_not_cover_is_provisional_with_a_warning():
    coverage = workdays.coverage()
    assert coverage.last_year == 2026 and coverage.first_year <= 2018 and coverage.version
    deadline = reporting.deadline_for("recycler_receipt", date(2026, 11, 20))
    assert deadline.provisional and deadline.uncovered_years == (2027,)
    # Mon-Fri fallback lands on 1 Jan 2027, a holiday in every year so far: hence the warning
    assert deadline.due == date(2027, 1, 1)
    warning = deadline.warning()
    assert "2027" in warning and "2004" in warning and "2026" in warning and "chinese-calendar" in warning
    far = workdays.add_working_days(date(2031, 5, 1), 15)
    assert far.provisional and far.uncovered_years == (2031,)
    assert workdays.add_working_days(date(2026, 3, 2), 5).warning() == ""


def test_zero_working_days_is_the_event_day():
    assert workdays.add_working_days(date(2026, 10, 3), 0).due == date(2026, 10, 3)
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2026, 10, 3), -1)


def test_every_lifecycle_event_of_the_rules_has_a_deadline():
    assert {kind: rule.working_days for kind, rule in reporting.DEADLINE_RULES.items()} == {
        "recycler_receipt": 30, "recycling_completed": 30, "cascade_product_out": 15, "cascade_waste_in": 15,
        "cascade_waste_out": 15, "dismantler_certificate": 15, "dismantler_transfer": 15, "oem_repair": 30,
        "oem_collection": 30, "oem_conformity": 15}
