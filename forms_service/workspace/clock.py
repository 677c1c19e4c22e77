"""The outcome clocks: when a referral's acknowledgement, outcome or review is due, in words.

The strategic plan promises an acknowledgement "within 24 hours" and an
outcome "within 48 hours". Counted literally, a referral sent on Friday
evening would be overdue before anyone is at work, so by default they are
one and two *working* days: due at the same London time of day one or two
working days after the clock starts, and a referral received out of hours
starts the clock at the next opening. Which days are working days is the
:class:`~forms_service.workdays.WorkingCalendar`'s business (weekends, bank
holidays from the ``holidays`` package, configured closures). A council that
counts plain hours sets the rule to ``clock-hours``.

Everything here is a pure function of its arguments (no clock is read), so a
test passes a frozen "now" and the inbox, the digest and the API agree.
Times come in timezone-aware (a naive one is taken as UTC, as the database
stores it) and go out as aware UTC; days and opening hours are judged on the
Europe/London wall clock, so a due time keeps its wall-clock time across the
change to and from summer time.

This module imports only the standard library, ``workdays`` and ``formats``:
``config`` builds :class:`ClockRules` from settings and must be able to import it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..formats import LONDON, format_date
from ..workdays import WorkingCalendar

WORKING_DAYS = "working-days"
CLOCK_HOURS = "clock-hours"
CLOCK_RULES = (WORKING_DAYS, CLOCK_HOURS)
#: A clock due within this long (or later today) shows orange: act on it now.
SOON = dt.timedelta(hours=4)
#: Due dates closer than this show their weekday ("on Monday 4 December").
WEEK = 7


@dataclass(frozen=True)
class ClockRules:
    """How a deployment counts its clocks: the working calendar, the rule and opening hours."""

    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    rule: str = WORKING_DAYS
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 30)
    zone: ZoneInfo = LONDON

    def __post_init__(self) -> None:
        # Refuse nonsense here too, not only in config: a wrong rule would
        # silently count every clock the other way.
        if self.rule not in CLOCK_RULES:
            raise ValueError(f"clock rule must be one of {CLOCK_RULES}, not {self.rule!r}")
        if self.opens >= self.closes:
            raise ValueError("opening hours must open before they close")

    def is_open(self, local: dt.datetime) -> bool:
        """Whether the service is open at ``local`` (a wall-clock time in :attr:`zone`)."""
        return (
            self.calendar.is_working_day(local.date()) and self.opens <= local.time() < self.closes
        )


@dataclass(frozen=True)
class ClockText:
    """A clock as people read it: words, a GOV.UK tag colour and whether it is overdue.

    ``tag`` is the suffix of a ``govuk-tag--…`` class. ``overdue`` is true only
    for a clock still running past its due time; one done late says so in its
    text but is no longer overdue (there is nothing left to chase).
    """

    text: str
    tag: str
    overdue: bool


def _utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as aware UTC; a naive value is taken to be UTC, as stored."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _at(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The wall-clock ``time`` on ``day`` in ``zone``, as aware UTC."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.UTC)


def clock_start(received: dt.datetime, rules: ClockRules) -> dt.datetime:
    """When a clock starts for something ``received``: at once if the service
    is open, else at its next opening (so nobody is overdue for a weekend).

    Before opening on a working day that is the same morning's opening time;
    after closing, or on a day off, the opening of the next working day. Under
    the ``clock-hours`` rule the clock starts at ``received`` itself.
    """
    received = _utc(received)
    if rules.rule == CLOCK_HOURS:
        return received
    local = received.astimezone(rules.zone)
    if rules.is_open(local):
        return received
    day = local.date()
    if not (rules.calendar.is_working_day(day) and local.time() < rules.opens):
        day = rules.calendar.add_working_days(day, 1)
    return _at(day, rules.opens, rules.zone)


def due_after_working_days(received: dt.datetime, days: int, rules: ClockRules) -> dt.datetime:
    """Due ``days`` working days after the clock starts, at the same wall-clock time.

    "Within 24 hours" is 1 working day and "within 48 hours" 2: a referral
    received at 2pm on Friday is due at 2pm on Monday, one received at 6pm on
    Friday counts from 9am Monday and is due at 9am Tuesday. Under the
    ``clock-hours`` rule it is simply ``days`` × 24 hours after ``received``.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if rules.rule == CLOCK_HOURS:
        return _utc(received) + dt.timedelta(hours=24 * days)
    start = clock_start(received, rules).astimezone(rules.zone)
    due_day = rules.calendar.add_working_days(start.date(), days)
    return _at(due_day, start.time(), rules.zone)


def due_after_hours(received: dt.datetime, hours: int, rules: ClockRules) -> dt.datetime:
    """Due ``hours`` real hours after ``received``, whatever the rule.

    Written confirmation of a phoned Level 4 concern is due 24 hours after the
    call: a child at risk does not wait for Monday, so this clock never pauses
    for nights, weekends or holidays. ``rules`` is taken so every clock is
    called the same way.
    """
    del rules  # deliberately unused: this clock ignores working days
    return _utc(received) + dt.timedelta(hours=hours)


def due_after_weeks(start: dt.datetime, weeks: int) -> dt.datetime:
    """``weeks`` calendar weeks after ``start``, at the same London wall-clock time.

    Reviews warn at 6 weeks and are overdue at 8; weeks are not shortened by
    holidays, and a review due across the clock change stays at its hour.
    """
    local = _utc(start).astimezone(LONDON)
    later = local.replace(tzinfo=None) + dt.timedelta(weeks=weeks)
    return later.replace(tzinfo=LONDON).astimezone(dt.UTC)


def format_time(moment: dt.datetime) -> str:
    """A wall-clock time in GOV.UK style: "2pm", "9:30am", "midday", "midnight"."""
    if moment.hour == 0 and moment.minute == 0:
        return "midnight"
    if moment.hour == 12 and moment.minute == 0:
        return "midday"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def _day_words(day: dt.date, today: dt.date) -> str:
    """``day`` as seen from ``today``: "today", "tomorrow", "on Monday 4 December",
    or, a week or more away, "on 4 December 2026"."""
    ahead = (day - today).days
    if ahead == 0:
        return "today"
    if ahead == 1:
        return "tomorrow"
    if 1 < ahead < WEEK:
        return f"on {day:%A} {day.day} {day:%B}"
    return f"on {format_date(day)}"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def format_lateness(late: dt.timedelta) -> str:
    """How late, in the largest whole unit: "2 days", "3 hours", "25 minutes".

    Rounded down (an hour and 50 minutes late is "1 hour"), but never to
    nothing: anything past the due time is at least "1 minute".
    """
    if late >= dt.timedelta(days=1):
        return _plural(late.days, "day")
    if late >= dt.timedelta(hours=1):
        return _plural(late.seconds // 3600, "hour")
    return _plural(max(1, late.seconds // 60), "minute")


def _due_day(local_due: dt.datetime) -> dt.date:
    """The day a due time belongs to: midnight ends the day before, so 00:00
    on Tuesday reads "by midnight" on Monday."""
    if format_time(local_due) == "midnight":
        return (local_due - dt.timedelta(minutes=1)).date()
    return local_due.date()


def _due_text(due: dt.datetime, now: dt.datetime) -> ClockText:
    """A clock still running and not yet past its due time."""
    if due - now < dt.timedelta(minutes=1):
        # Within its last minute a due time is no longer worth reading out (and
        # at exactly midnight "by midnight" would belong to yesterday).
        return ClockText("Due now", "orange", overdue=False)
    local_due = due.astimezone(LONDON)
    day = _due_day(local_due)
    today = now.astimezone(LONDON).date()
    soon = due - now <= SOON or day == today
    text = f"Due by {format_time(local_due)} {_day_words(day, today)}"
    return ClockText(text, "orange" if soon else "blue", overdue=False)


def describe(
    due: dt.datetime, now: dt.datetime, *, done_at: dt.datetime | None = None
) -> ClockText:
    """A clock in words and a tag colour, as of ``now`` (passed in, never read).

    Running: "Due by 2pm tomorrow" (orange when due within 4 hours or today,
    blue when later), "Due now" in its last minute, or "Overdue by 3 hours"
    (red). Stopped at ``done_at``: "Done on time" (green) or "Done 1 day late" (grey).
    """
    due, now = _utc(due), _utc(now)
    if done_at is not None:
        late = _utc(done_at) - due
        if late <= dt.timedelta(0):
            return ClockText("Done on time", "green", overdue=False)
        return ClockText(f"Done {format_lateness(late)} late", "grey", overdue=False)
    if now > due:
        return ClockText(f"Overdue by {format_lateness(now - due)}", "red", overdue=True)
    return _due_text(due, now)
