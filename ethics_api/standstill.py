"""The mandatory standstill period after a contract award notice (Procurement Act 2023 s.51).

s.51(2): the period is "eight working days beginning with the day on which a contract award
notice is published", and the contract may not be entered into before it ends (s.51(1)).
s.123(1): a working day is any day but a Saturday, a Sunday, or a bank holiday "in any part of
the United Kingdom" under the Banking and Financial Dealings Act 1971. A bank holiday of
Scotland alone (St Andrew's Day) or of Northern Ireland alone (St Patrick's Day) is therefore
not a working day for a buyer in England either, so the days skipped are those of every UK
nation, whichever the buyer's.

The bank holidays come from the `holidays` library, which follows the proclamations (new
substitute and one-off days) as well as the 1971 Act's schedule.

Pure: no Flask, no database.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cache

import holidays

WORKING_DAYS = 8
# ISO 3166-2 subdivisions of GB, as the holidays library names them.
NATIONS = {
    "ENG": "England",
    "WLS": "Wales",
    "SCT": "Scotland",
    "NIR": "Northern Ireland",
}


@dataclass(frozen=True)
class Holiday:
    day: dt.date
    name: str
    nations: tuple[str, ...]  # where it is a bank holiday, by name


@dataclass(frozen=True)
class Standstill:
    """The standstill period for a notice published on `notice_date`."""

    notice_date: dt.date
    first_day: dt.date  # the first working day of the period (the notice's day if it is one)
    last_day: dt.date  # the eighth: the contract may be entered into after it
    holidays_skipped: tuple[Holiday, ...]  # bank holidays on weekdays within the period


def standstill(notice_date: dt.date, working_days: int = WORKING_DAYS) -> Standstill:
    """The period of `working_days` working days beginning with the day of the notice."""
    day = notice_date
    counted: list[dt.date] = []
    skipped: list[Holiday] = []
    while len(counted) < working_days:
        holiday = bank_holiday(day)
        if holiday is not None and day.weekday() < 5:
            skipped.append(holiday)
        elif day.weekday() < 5:
            counted.append(day)
        day += dt.timedelta(days=1)
    return Standstill(notice_date, counted[0], counted[-1], tuple(skipped))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and bank_holiday(day) is None


def bank_holiday(day: dt.date) -> Holiday | None:
    """The bank holiday on `day` in any part of the United Kingdom, or None."""
    return _bank_holidays(day.year).get(day)


@cache
def _bank_holidays(year: int) -> dict[dt.date, Holiday]:
    names: dict[dt.date, str] = {}
    observed: dict[dt.date, list[str]] = {}
    for code, nation in NATIONS.items():
        for day, name in holidays.country_holidays("GB", subdiv=code, years=year).items():
            names.setdefault(day, name)
            observed.setdefault(day, []).append(nation)
    return {day: Holiday(day, names[day], tuple(observed[day])) for day in sorted(names)}
