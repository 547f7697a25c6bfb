"""Deadlines counted in Chinese working days (pure).

Official holidays and the adjusted working weekends (调休) come from the maintained
`chinese-calendar` package (pinned in requirements.lock); it covers the years the State Council has
published. A deadline that runs into a year the package does not cover yet is counted with Monday to
Friday as working days there and marked provisional, with a warning: the real date may be later.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar
from chinese_calendar import constants as calendar_data
from django.utils.translation import gettext_lazy as _

MSG_UNCOVERED = _("The Chinese working-day calendar (chinese-calendar %(version)s) covers %(first)s to %(last)s; "
                  "this deadline falls in %(years)s, whose official holidays are not published in it yet. It is "
                  "counted with Monday to Friday as working days and may move once the calendar is updated.")


@dataclass(frozen=True)
class Coverage:
    version: str
    first_year: int
    last_year: int

    def covers(self, day: date) -> bool:
        return self.first_year <= day.year <= self.last_year

    @property
    def label(self) -> str:
        return f"chinese-calendar {self.version}: {self.first_year}–{self.last_year}"


@cache
def coverage() -> Coverage:
    years = {day.year for day in calendar_data.holidays} | {day.year for day in calendar_data.workdays}
    return Coverage(version=getattr(chinese_calendar, "__version__", "?"), first_year=min(years),
                    last_year=max(years))


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is a working day, the calendar covers that year)."""
    if coverage().covers(day):
        return chinese_calendar.is_workday(day), True
    return day.weekday() < 5, False


@dataclass(frozen=True)
class Deadline:
    due: date
    working_days: int
    provisional: bool
    uncovered_years: tuple[int, ...] = ()

    def warning(self) -> str:
        if not self.provisional:
            return ""
        info = coverage()
        return str(MSG_UNCOVERED) % {"version": info.version, "first": info.first_year, "last": info.last_year,
                                     "years": ", ".join(str(year) for year in self.uncovered_years)}


def add_working_days(start: date, working_days: int) -> Deadline:
    """The date `working_days` Chinese working days after `start` (the event day itself is not counted)."""
    if working_days < 0:
        raise ValueError("working_days must not be negative")
    day, counted, uncovered = start, 0, set()
    while counted < working_days:
        day += timedelta(days=1)
        working, covered = is_working_day(day)
        if not covered:
            uncovered.add(day.year)
        if working:
            counted += 1
    return Deadline(due=day, working_days=working_days, provisional=bool(uncovered),
                    uncovered_years=tuple(sorted(uncovered)))


def holidays_between(start: date, end: date) -> list[date]:
    """Non-working weekdays (official holidays) in (start, end], for explaining a deadline."""
    days, day = [], start
    while day < end:
        day += timedelta(days=1)
        working, covered = is_working_day(day)
        if covered and not working and day.weekday() < 5:
            days.append(day)
    return days


def adjusted_working_weekends_between(start: date, end: date) -> list[date]:
    """Weekend days that are official working days (调休) in (start, end]."""
    days, day = [], start
    while day < end:
        day += timedelta(days=1)
        working, covered = is_working_day(day)
        if covered and working and day.weekday() >= 5:
            days.append(day)
    return days
