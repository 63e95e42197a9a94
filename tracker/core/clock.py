"""The one clock. Tests and the CLI (`--at`) move it; everything else asks it for the time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now() -> datetime:
    """Aware UTC now (or the frozen moment)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def wall() -> datetime:
    """The real time, which tests and `--at` never move: for what lasts in the real world, such
    as a login session (the cookies that carry it expire by the real time too)."""
    return datetime.now(UTC)


def today(tz: str) -> date:
    return now().astimezone(ZoneInfo(tz)).date()


def as_utc(moment: datetime, tz: str) -> datetime:
    """Interpret a naive moment in `tz` (an aware one is kept) and return it in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)


def freeze(moment: datetime | None) -> None:
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment.astimezone(UTC) if moment else None


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    previous = _frozen
    freeze(moment)
    try:
        yield
    finally:
        freeze(previous)
