"""Working days of the Russian production calendar (the `holidays` package), with the
administrator's changes (an extra holiday, a transferred working Saturday) on top."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.notify.models import CalendarDay


@lru_cache(maxsize=32)
def _russian(year: int) -> tuple[frozenset[date], frozenset[date]]:
    calendar = holidays.country_holidays("RU", years=year)
    return frozenset(calendar), frozenset(getattr(calendar, "weekend_workdays", ()))


class WorkCalendar:
    def __init__(self, overrides: dict[date, str] | None = None) -> None:
        self.overrides = overrides or {}

    @classmethod
    def load(cls, session: Session) -> WorkCalendar:
        rows = session.execute(sa.select(CalendarDay.day, CalendarDay.kind)).all()
        return cls(dict(rows))

    def is_working(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override == "workday"
        holidays_, working_weekends = _russian(day.year)
        if day in working_weekends:
            return True
        return day.weekday() < 5 and day not in holidays_

    def next_working(self, day: date) -> date:
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def shifted_here(self, day: date) -> list[date]:
        """The dates whose reminders are sent on `day`: itself (if working) and the non-working
        days right before it. Empty for a non-working day."""
        if not self.is_working(day):
            return []
        dates = [day]
        previous = day - timedelta(days=1)
        while not self.is_working(previous) and len(dates) < 15:
            dates.append(previous)
            previous -= timedelta(days=1)
        return dates
