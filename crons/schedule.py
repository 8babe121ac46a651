"""Cron expressions (croniter) evaluated in the cron's IANA timezone, returned in UTC.

Five fields (minute hour day month weekday), or six with seconds last (``* * * * * */10`` fires
every 10 seconds). Across daylight-saving changes a schedule with fixed hours fires once per wall
clock time: a time that does not exist (spring forward) fires at the first instant after the gap,
a time that happens twice (fall back) fires on its first occurrence only. A schedule whose hour
field is a wildcard (``0 * * * *``) follows real elapsed time instead: every real hour fires.
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

MAX_SKIPS = 8
ALIASES = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually")


class ScheduleError(ValueError):
    pass


def zone(name):
    """The ZoneInfo of ``name`` (None or "" means UTC); ScheduleError when unknown."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError(f"unknown timezone {name!r} (expected an IANA name like 'America/New_York')") from None


def check(schedule):
    """Raise ScheduleError unless ``schedule`` is a valid 5- or 6-field cron expression or an alias
    (``@hourly``, ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``)."""
    if isinstance(schedule, str) and schedule.startswith("@"):
        if schedule.lower() not in ALIASES or not croniter.is_valid(schedule):
            raise ScheduleError(f"invalid cron schedule {schedule!r}: known aliases are {', '.join(ALIASES)}")
        return
    if not isinstance(schedule, str) or len(schedule.split()) not in (5, 6):
        raise ScheduleError(f"invalid cron schedule {schedule!r}: expected 5 fields, or 6 with seconds last")
    if not croniter.is_valid(schedule):
        raise ScheduleError(f"invalid cron schedule {schedule!r}")


def _fixed_hours(schedule):
    if schedule.startswith("@"):
        return schedule.lower() != "@hourly"
    return "*" not in schedule.split()[1]


def _repeated_wall_time(moment, tz):
    """True when ``moment`` is the second occurrence of its local wall-clock time (fall back)."""
    naive = moment.astimezone(tz).replace(tzinfo=None)
    first = naive.replace(tzinfo=tz, fold=0)
    return first.astimezone(UTC) != moment.astimezone(UTC)


def next_after(schedule, timezone_name, *, after):
    """The first firing time strictly after ``after`` (aware), as an aware UTC datetime."""
    check(schedule)
    tz = zone(timezone_name)
    iterator = croniter(schedule, after.astimezone(tz))
    fixed = _fixed_hours(schedule)
    for _ in range(MAX_SKIPS):
        candidate = iterator.get_next(datetime)
        if fixed and _repeated_wall_time(candidate, tz):
            continue
        return candidate.astimezone(UTC)
    return candidate.astimezone(UTC)
