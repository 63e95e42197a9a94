"""Reading assignments: the control board, discipline figures, «my assignments», search.

Every query starts from `visible_to`, so pages, exports, feeds and the API show the same rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, contains_eager, selectinload

from tracker.assignments.models import (
    OPEN_STATES,
    Assignment,
    AssignmentStatus,
    ExecutionReport,
    ExtensionRequest,
    ExtensionState,
)
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
    tab: str | None = None  # "open" (not closed yet) or "done"
    due_period: str | None = None  # one of DUE_PERIODS
    group: str | None = None  # "decision": grouped by meeting and decision, else by deadline
    extra: dict[str, Any] = field(default_factory=dict)

    def as_args(self) -> dict[str, Any]:
        """The filter as query-string arguments (for links and exports)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "extra" and value not in (None, False, ""):
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out


TABS = ("open", "done")
DUE_PERIODS = ("overdue", "week", "month", "later", "none")


def local_today_by_zone(session: Session) -> dict[str, date]:
    """Today's date in each organization's zone. The zones are read once per request (a page
    asks for «overdue» in its count, rows and figures)."""
    if has_request_context():
        zones = g.get("organization_zones")
        if zones is None:
            zones = g.organization_zones = list(
                session.scalars(sa.select(Organization.timezone).distinct())
            )
    else:
        zones = list(session.scalars(sa.select(Organization.timezone).distinct()))
    return {tz: clock.today(tz) for tz in zones}


def organizations_in_zones(session: Session, zones: list[str]) -> list[int]:
    """Ids of the organizations in these time zones, read once per request."""
    query = sa.select(Organization.id).where(Organization.timezone.in_(zones))
    if not has_request_context():
        return list(session.scalars(query))
    known = g.setdefault("organizations_in_zones", {})
    key = tuple(sorted(zones))
    if key not in known:
        known[key] = list(session.scalars(query))
    return known[key]


def _among(session: Session, column: Any, ids: list[int]) -> sa.ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL as `= ANY(array)` with one parameter: hundreds of
    parameters made a statement too long for psycopg's cache, parsed again on every request."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=ARRAY(sa.Integer)))
    return column.in_(ids)


def overdue_clause(session: Session, at: date | None = None) -> sa.ColumnElement[bool]:
    """SQL for «overdue»: open and the deadline's day is over in the organization's own time
    zone (or before `at`, when a date is given). No join is needed: a count or an aggregate
    reads assignments alone."""
    open_ = Assignment.status.in_(OPEN_STATES)
    if at is not None:
        return sa.and_(open_, Assignment.due_date < at)
    zones_on: dict[date, list[str]] = {}
    for tz, today in local_today_by_zone(session).items():
        zones_on.setdefault(today, []).append(tz)
    if not zones_on:
        return sa.false()
    # Past the earliest zone's today, a deadline is over everywhere; only a deadline between
    # it and a later zone's today needs the organization's zone. The clause stays a range of
    # the deadline index: the later zones' organizations are a list of ids, since a subquery
    # there made PostgreSQL scan every assignment.
    earliest = min(zones_on)
    later = [
        sa.and_(
            Assignment.due_date < today,
            _among(session, Assignment.organization_id, organizations_in_zones(session, zones)),
        )
        for today, zones in zones_on.items()
        if today > earliest
    ]
    return sa.and_(
        open_,
        Assignment.due_date < max(zones_on),
        sa.or_(Assignment.due_date < earliest, *later),
    )


# PostgreSQL's own full-text search, Russian stems: «педсовет» finds «ПЕДСОВЕТЕ»
SEARCH_CONFIG = "russian"
_WORD = re.compile(r"\w+")


def search_vector(column: Any) -> sa.ColumnElement[Any]:
    """The indexed expression (migration 0011_i16 builds a GIN index on exactly this)."""
    return sa.func.to_tsvector(sa.literal_column(f"'{SEARCH_CONFIG}'::regconfig"), column)


def search_clause(session: Session, q: str) -> sa.ColumnElement[bool]:
    """Assignments whose decision or one of whose execution reports holds the words of `q`.
    On PostgreSQL each word is a stem prefix in a tsquery («докум» finds «документ»),
    answered from the GIN indexes; on SQLite (and for a query without letters or digits) a
    plain case-insensitive substring. Both sides are subqueries of ids: the text of a decision
    is matched once, not once per assignment of it."""
    words = _WORD.findall(q.lower())[:16]
    if words and session.get_bind().dialect.name == "postgresql":
        # \w+ leaves no tsquery syntax (& | ! ( ) : * ' \) in a word: the words are safe
        query = sa.func.to_tsquery(
            sa.literal_column(f"'{SEARCH_CONFIG}'::regconfig"),
            " & ".join(f"{word}:*" for word in words),
        )
        in_decisions = sa.select(Decision.id).where(
            search_vector(Decision.text).bool_op("@@")(query)
        )
        in_reports = sa.select(ExecutionReport.assignment_id).where(
            search_vector(ExecutionReport.text).bool_op("@@")(query)
        )
    else:
        pattern = f"%{q.strip().lower()}%"
        in_decisions = sa.select(Decision.id).where(sa.func.lower(Decision.text).like(pattern))
        in_reports = sa.select(ExecutionReport.assignment_id).where(
            sa.func.lower(ExecutionReport.text).like(pattern)
        )
    return sa.or_(Assignment.decision_id.in_(in_decisions), Assignment.id.in_(in_reports))


EAGER = (
    contains_eager(Assignment.decision).contains_eager(Decision.meeting),
    contains_eager(Assignment.organization),
)


def assignments_query(
    session: Session, user: User | None, f: BoardFilter, *, joined: bool = True
) -> sa.Select:
    """Visible assignments joined with their decision, meeting and organization, filtered.
    `joined=False` (counts, aggregates): the decision only when a filter reads it, nothing else,
    so the database counts from the assignments' own indexes."""
    query = sa.select(Assignment).where(visible_to(user, Assignment))
    if joined:
        query = query.join(Assignment.decision).join(Assignment.organization)
        query = query.outerjoin(Decision.meeting)
    elif f.meeting_id or f.direction_id:
        query = query.join(Assignment.decision)
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
    elif f.status == "extension_pending":
        pending = sa.select(ExtensionRequest.assignment_id).where(
            ExtensionRequest.state == ExtensionState.PENDING
        )
        query = query.where(Assignment.id.in_(pending))
    elif f.status:
        query = query.where(Assignment.status == f.status)
    if f.due_within is not None:
        start = f.at or clock.today(clock_zone())
        query = query.where(
            Assignment.status.in_(OPEN_STATES),
            Assignment.due_date >= start,
            Assignment.due_date <= start + timedelta(days=f.due_within),
        )
    if f.tab == "open":
        query = query.where(
            Assignment.status.notin_((AssignmentStatus.DONE, AssignmentStatus.CANCELLED))
        )
    elif f.tab == "done":
        query = query.where(Assignment.status == AssignmentStatus.DONE)
    if f.due_period:
        query = query.where(due_period_clause(session, f.due_period, f.at))
    if f.period_start:
        query = query.where(Assignment.due_date >= f.period_start)
    if f.period_end:
        query = query.where(Assignment.due_date <= f.period_end)
    if f.q and f.q.strip():
        query = query.where(search_clause(session, f.q))
    return query


def due_period_clause(session: Session, period: str, at: date | None) -> sa.ColumnElement[bool]:
    """«просрочено», «в ближайшие 7 дней», «в ближайшие 30 дней», «позже», «без срока»."""
    if period == "overdue":
        return overdue_clause(session, at)
    if period == "none":
        return Assignment.due_date.is_(None)
    start = at or clock.today(clock_zone())
    if period == "later":
        return Assignment.due_date > start + timedelta(days=30)
    days = 7 if period == "week" else 30
    end = start + timedelta(days=days)
    return sa.and_(Assignment.due_date >= start, Assignment.due_date <= end)


def clock_zone() -> str:
    from flask import current_app

    return current_app.config["TRACKER_TIMEZONE"]


# Decisions newest meeting first, in the protocol's order; within one, executors by name.
DECISION_ORDER = (
    Meeting.held_on.desc().nulls_last(),
    Decision.meeting_id,
    Decision.position,
    Decision.id,
)
BOARD_ORDER = (*DECISION_ORDER, Organization.short_name, Assignment.id)

# What a board row shows of its decision and meeting (a meeting's attendees and minutes are
# long texts that would come once per executor).
BOARD_COLUMNS = (
    contains_eager(Assignment.decision).load_only(
        Decision.id,
        Decision.meeting_id,
        Decision.organization_id,
        Decision.position,
        Decision.number,
        Decision.text,
        Decision.deadline_text,
        Decision.deadline_kind,
        Decision.due_date,
    ),
    contains_eager(Assignment.decision)
    .contains_eager(Decision.meeting)
    .load_only(Meeting.id, Meeting.organization_id, Meeting.held_on),
    contains_eager(Assignment.organization),
)


def decision_counts(session: Session, user: User | None, f: BoardFilter) -> list[tuple[int, int]]:
    """(decision id, how many of its assignments pass the filter) in the board's order: the
    total and where each page begins, from one grouped read of the assignments' index rather
    than a sort of all their joined rows."""
    counted = (
        assignments_query(session, user, f, joined=False)
        .with_only_columns(Assignment.decision_id, sa.func.count(Assignment.id).label("n"))
        .group_by(Assignment.decision_id)
        .subquery()
    )
    query = (
        sa.select(counted.c.decision_id, counted.c.n)
        .join(Decision, Decision.id == counted.c.decision_id)
        .outerjoin(Meeting, Meeting.id == Decision.meeting_id)
        .order_by(*DECISION_ORDER)
    )
    return [(decision_id, n) for decision_id, n in session.execute(query)]


def board_page(
    session: Session,
    user: User | None,
    f: BoardFilter,
    counts: list[tuple[int, int]],
    limit: int,
    offset: int = 0,
) -> list[Assignment]:
    """One page in the board's order: only the decisions the page spans (by `counts`, from
    `decision_counts`) are read, sorted and loaded."""
    spanned: list[int] = []
    first = seen = 0
    for decision_id, n in counts:
        if seen >= offset + limit:
            break
        if seen + n > offset:
            if not spanned:
                first = seen
            spanned.append(decision_id)
        seen += n
    if not spanned:
        return []
    query = (
        assignments_query(session, user, f)
        .where(Assignment.decision_id.in_(spanned))
        .options(*BOARD_COLUMNS)
        .order_by(*BOARD_ORDER)
        .limit(limit)
        .offset(offset - first)
    )
    return list(session.scalars(query).unique())


def board_rows(
    session: Session, user: User | None, f: BoardFilter, limit: int = 500, offset: int = 0
) -> list[Assignment]:
    """One page in the board's order. The database sorts narrow rows (the ids and the keys of
    the order) and only the page's rows are then loaded whole: sorting twenty thousand joined
    rows with every column of their decision and meeting cost several times more."""
    ids = list(
        session.scalars(
            assignments_query(session, user, f)
            .with_only_columns(Assignment.id)
            .order_by(*BOARD_ORDER)
            .limit(limit)
            .offset(offset)
        )
    )
    if not ids:
        return []
    loaded = session.scalars(
        sa.select(Assignment)
        .join(Assignment.decision)
        .join(Assignment.organization)
        .outerjoin(Decision.meeting)
        .where(Assignment.id.in_(ids))
        .options(*EAGER)
    ).unique()
    by_id = {a.id: a for a in loaded}
    return [by_id[i] for i in ids if i in by_id]


def page_rows(
    session: Session, user: User | None, f: BoardFilter, limit: int, offset: int = 0
) -> list[Assignment]:
    """One page of the board's order with only what a list row shows: the decision's number,
    text and deadline words, the meeting's date (not its attendees or minutes)."""
    lean = (
        contains_eager(Assignment.decision).load_only(
            Decision.id,
            Decision.meeting_id,
            Decision.number,
            Decision.text,
            Decision.deadline_text,
            Decision.position,
        ),
        contains_eager(Assignment.decision)
        .contains_eager(Decision.meeting)
        .load_only(Meeting.id, Meeting.held_on),
        contains_eager(Assignment.organization),
    )
    query = (
        assignments_query(session, user, f)
        .options(*lean)
        .order_by(
            Meeting.held_on.desc().nulls_last(),
            Decision.meeting_id,
            Decision.position,
            Organization.short_name,
            Assignment.id,
        )
    )
    return list(session.scalars(query.limit(limit).offset(offset)).unique())


def by_id(
    session: Session,
    user: User | None,
    f: BoardFilter,
    limit: int,
    after_id: int | None = None,
    offset: int = 0,
) -> list[Assignment]:
    """A page in the order of ids (keyset: the ones after `after_id`), with the decision's
    meeting and deadline words and the organization's name and zone: what the API's row says.
    The primary key's index gives the order, so a page costs the same deep in the list."""
    query = (
        assignments_query(session, user, f)
        .options(
            contains_eager(Assignment.decision).load_only(
                Decision.id, Decision.meeting_id, Decision.deadline_text
            ),
            contains_eager(Assignment.organization).load_only(
                Organization.id, Organization.short_name, Organization.timezone
            ),
        )
        .order_by(Assignment.id)
    )
    if after_id is not None:
        query = query.where(Assignment.id > after_id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def count(session: Session, user: User | None, f: BoardFilter) -> int:
    subquery = (
        assignments_query(session, user, f, joined=False)
        .with_only_columns(Assignment.id)
        .subquery()
    )
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
    """Discipline per organization over the filtered assignments (cancelled ones left out),
    with the organizations, in one statement."""
    base = assignments_query(session, user, f, joined=False).where(
        Assignment.status != AssignmentStatus.CANCELLED
    )
    overdue = overdue_clause(session, f.at)
    counted = (
        base.with_only_columns(
            Assignment.organization_id,
            sa.func.count(Assignment.id).label("assigned"),
            sa.func.sum(sa.case((Assignment.on_time.is_(True), 1), else_=0)).label("on_time"),
            sa.func.sum(sa.case((Assignment.on_time.is_(False), 1), else_=0)).label("late"),
            sa.func.sum(sa.case((overdue, 1), else_=0)).label("overdue"),
            sa.func.sum(Assignment.extension_count).label("extensions"),
        )
        .group_by(Assignment.organization_id)
        .order_by(None)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            Organization,
            counted.c.assigned,
            counted.c.on_time,
            counted.c.late,
            counted.c.overdue,
            counted.c.extensions,
        ).join(counted, counted.c.organization_id == Organization.id)
    ).all()
    result = [
        Figures(
            org, assigned, int(on_time or 0), int(late or 0), int(late_open or 0), int(ext or 0)
        )
        for org, assigned, on_time, late, late_open, ext in rows
    ]
    return sorted(result, key=lambda x: natural_key(x.organization.short_name))


def my_assignments(
    session: Session, user: User, f: BoardFilter, limit: int = 50, offset: int = 0
) -> list[Assignment]:
    """What the user's organizations must do, one page of it: by default overdue first, then
    the soonest deadline; grouped, by meeting (newest first) and decision. A fixed number of
    statements whatever the page's length: everything a row shows is loaded with it."""
    query = assignments_query(session, user, f)
    if f.group == "decision":
        query = query.order_by(
            Meeting.held_on.desc().nulls_last(),
            Decision.meeting_id,
            Decision.position,
            Decision.id,
            Organization.short_name,
            Assignment.id,
        )
    else:
        query = query.order_by(
            sa.case((overdue_clause(session, f.at), 0), else_=1),
            Assignment.due_date.is_(None),
            Assignment.due_date,
            Decision.position,
            Assignment.id,
        )
    query = query.options(*EAGER, selectinload(Assignment.assignee))
    return list(session.scalars(query.limit(limit).offset(offset)).unique())
