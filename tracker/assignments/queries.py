"""Reading assignments: the control board, discipline figures, «my assignments», search.

Every query starts from `visible_to`, so pages, exports, feeds and the API show the same rows."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, selectinload

from tracker.assignments.models import OPEN_STATES, Assignment, ExecutionReport
from tracker.core import clock
from tracker.core.permissions import visible_to
from tracker.core.tenancy import Organization, User
from tracker.core.text import natural_key
from tracker.meetings.models import Decision, Meeting


@dataclass
class BoardFilter:
    meeting_id: int | None = None
    direction_id: int | None = None
    organization_id: int | None = None
    status: str | None = None  # a state, or "overdue"
    overdue: bool = False
    due_within: int | None = None  # days from today
    assignee_id: int | None = None
    q: str | None = None
    at: date | None = None  # evaluate «overdue» as of this local date
    period_start: date | None = None  # deadlines within the period (figures)
    period_end: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_args(self) -> dict[str, Any]:
        """The filter as query-string arguments (for links and exports)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "extra" and value not in (None, False, ""):
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out


def local_today_by_zone(session: Session) -> dict[str, date]:
    zones = session.scalars(sa.select(Organization.timezone).distinct())
    return {tz: clock.today(tz) for tz in zones}


def overdue_clause(session: Session, at: date | None = None) -> sa.ColumnElement[bool]:
    """SQL for «overdue» (Organization must be joined): open and the deadline's day is over
    in the organization's own time zone (or before `at`, when a date is given)."""
    open_ = Assignment.status.in_(OPEN_STATES)
    if at is not None:
        return sa.and_(open_, Assignment.due_date < at)
    per_zone = [
        sa.and_(Organization.timezone == tz, Assignment.due_date < today)
        for tz, today in local_today_by_zone(session).items()
    ]
    return sa.and_(open_, sa.or_(*per_zone)) if per_zone else sa.false()


def search_clause(q: str) -> sa.ColumnElement[bool]:
    pattern = f"%{q.strip().lower()}%"
    in_reports = sa.select(ExecutionReport.assignment_id).where(
        sa.func.lower(ExecutionReport.text).like(pattern)
    )
    return sa.or_(sa.func.lower(Decision.text).like(pattern), Assignment.id.in_(in_reports))


EAGER = (
    contains_eager(Assignment.decision).contains_eager(Decision.meeting),
    contains_eager(Assignment.organization),
)


def assignments_query(session: Session, user: User | None, f: BoardFilter) -> sa.Select:
    """Visible assignments joined with their decision, meeting and organization, filtered."""
    query = (
        sa.select(Assignment)
        .join(Assignment.decision)
        .join(Assignment.organization)
        .outerjoin(Decision.meeting)
        .where(visible_to(user, Assignment))
    )
    if f.meeting_id:
        query = query.where(Decision.meeting_id == f.meeting_id)
    if f.direction_id:
        query = query.where(Decision.direction_id == f.direction_id)
    if f.organization_id:
        query = query.where(Assignment.organization_id == f.organization_id)
    if f.assignee_id:
        query = query.where(Assignment.assignee_id == f.assignee_id)
    if f.status == "overdue" or f.overdue:
        query = query.where(overdue_clause(session, f.at))
    elif f.status:
        query = query.where(Assignment.status == f.status)
    if f.due_within is not None:
        start = f.at or clock.today(clock_zone())
        query = query.where(
            Assignment.status.in_(OPEN_STATES),
            Assignment.due_date >= start,
            Assignment.due_date <= start + timedelta(days=f.due_within),
        )
    if f.period_start:
        query = query.where(Assignment.due_date >= f.period_start)
    if f.period_end:
        query = query.where(Assignment.due_date <= f.period_end)
    if f.q and f.q.strip():
        query = query.where(search_clause(f.q))
    return query


def clock_zone() -> str:
    from flask import current_app

    return current_app.config["TRACKER_TIMEZONE"]


def board_rows(
    session: Session, user: User | None, f: BoardFilter, limit: int = 500, offset: int = 0
) -> list[Assignment]:
    query = (
        assignments_query(session, user, f)
        .options(*EAGER)
        .order_by(
            Meeting.held_on.desc().nulls_last(),
            Decision.meeting_id,
            Decision.position,
            Organization.short_name,
            Assignment.id,
        )
    )
    return list(session.scalars(query.limit(limit).offset(offset)).unique())


def count(session: Session, user: User | None, f: BoardFilter) -> int:
    subquery = assignments_query(session, user, f).with_only_columns(Assignment.id).subquery()
    return session.scalar(sa.select(sa.func.count()).select_from(subquery)) or 0


@dataclass
class Grid:
    decisions: list[Decision]
    organizations: list[Organization]
    cells: dict[tuple[int, int], Assignment]


def grid(session: Session, user: User | None, rows: list[Assignment]) -> Grid:
    """Decisions × executors: one cell per assignment (the first one, if addressed to people)."""
    decisions: dict[int, Decision] = {}
    organizations: dict[int, Organization] = {}
    cells: dict[tuple[int, int], Assignment] = {}
    for a in rows:
        decisions.setdefault(a.decision_id, a.decision)
        organizations.setdefault(a.organization_id, a.organization)
        cells.setdefault((a.decision_id, a.organization_id), a)
    return Grid(
        list(decisions.values()),
        sorted(organizations.values(), key=lambda o: natural_key(o.short_name)),
        cells,
    )


@dataclass
class Figures:
    organization: Organization
    assigned: int
    done_on_time: int
    done_late: int
    overdue: int
    extensions: int

    @property
    def on_time_pct(self) -> int | None:
        closed = self.done_on_time + self.done_late + self.overdue
        return round(100 * self.done_on_time / closed) if closed else None


def figures(session: Session, user: User | None, f: BoardFilter) -> list[Figures]:
    """Discipline per organization over the filtered assignments (cancelled ones left out)."""
    base = assignments_query(session, user, f).where(Assignment.status != "cancelled")
    overdue = overdue_clause(session, f.at)
    query = (
        base.with_only_columns(
            Assignment.organization_id,
            sa.func.count(Assignment.id),
            sa.func.sum(sa.case((Assignment.on_time.is_(True), 1), else_=0)),
            sa.func.sum(sa.case((Assignment.on_time.is_(False), 1), else_=0)),
            sa.func.sum(sa.case((overdue, 1), else_=0)),
            sa.func.sum(Assignment.extension_count),
        )
        .group_by(Assignment.organization_id)
        .order_by(None)
    )
    rows = session.execute(query).all()
    orgs = {
        o.id: o
        for o in session.scalars(
            sa.select(Organization).where(Organization.id.in_([r[0] for r in rows]))
        )
    }
    result = [
        Figures(orgs[r[0]], r[1], int(r[2] or 0), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0))
        for r in rows
    ]
    return sorted(result, key=lambda x: natural_key(x.organization.short_name))


def my_assignments(session: Session, user: User, at: date | None = None) -> list[Assignment]:
    """What the user's organizations must do: overdue first, then the soonest deadline."""
    f = BoardFilter(at=at)
    query = assignments_query(session, user, f).where(
        Assignment.status.notin_(("done", "cancelled"))
    )
    overdue = overdue_clause(session, at)
    query = query.order_by(
        sa.case((overdue, 0), else_=1),
        Assignment.due_date.is_(None),
        Assignment.due_date,
        Decision.position,
    ).options(*EAGER, selectinload(Assignment.reports))
    return list(session.scalars(query).unique())
