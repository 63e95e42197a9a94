"""The inbox per role: sections of rows, every row a link to the thing to act on.

Staff (and administrators): reports waiting for acceptance, extension requests to decide,
overdue in my scope, due this week, road maps waiting for approval, monitoring not submitted.
Directors and school staff: returned for rework, overdue, due this week, road-map remarks,
monitoring to fill in, and what was accepted lately. Every query goes through the permission
filter; the page and `GET /api/v1/inbox` call `inbox_for` and show the same items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, contains_eager

from tracker.assignments.models import (
    OPEN_STATES,
    Assignment,
    AssignmentStatus,
    ExtensionRequest,
    ExtensionState,
)
from tracker.assignments.queries import clock_zone, overdue_clause
from tracker.assignments.services import STATE_LABELS
from tracker.core import clock
from tracker.core.permissions import can_anywhere, in_scope, visible_to
from tracker.core.tenancy import User
from tracker.core.urls import app_path
from tracker.cycle.models import CampaignStatus, MonitoringCampaign
from tracker.meetings.models import Decision
from tracker.roadmaps.models import RoadMap, RoadMapStatus

# Rows shown per section; the count says how many there are in all.
SHOWN = 10
WEEK = 7
RECENT_DAYS = 7


@dataclass
class Row:
    """One thing to act on: a line to read, a link to open, and what it is about."""

    kind: str
    object_id: int
    title: str
    detail: str
    link: str
    due_date: date | None = None
    state: str | None = None
    assignment_id: int | None = None  # the assignment a bulk action on this row acts on


@dataclass
class Section:
    key: str
    title: str
    empty: str
    count: int = 0
    rows: list[Row] = field(default_factory=list)
    more_link: str | None = None


@dataclass
class Inbox:
    role: str  # "staff" or "school"
    sections: list[Section]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections if s.key != "accepted")


def inbox_for(session: Session, user: User, at: datetime | None = None) -> Inbox:
    """The staff inbox for whoever controls assignments anywhere, the school inbox otherwise."""
    at = at or clock.now()
    today = at.astimezone(ZoneInfo(clock_zone())).date()
    if can_anywhere(user, "assignment.control") or can_anywhere(user, "roadmap.approve"):
        return Inbox("staff", _staff_sections(session, user, today))
    return Inbox("school", _school_sections(session, user, today, at))


# --- the pieces every section is made of ---------------------------------------------------


def _assignments(session: Session, where: list[sa.ColumnElement[bool]], order) -> sa.Select:
    return (
        sa.select(Assignment)
        .join(Assignment.decision)
        .join(Assignment.organization)
        .where(*where)
        .order_by(*order, Assignment.id)
        .options(contains_eager(Assignment.decision), contains_eager(Assignment.organization))
    )


def _count(session: Session, query: sa.Select) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))


def _fill(session: Session, section: Section, query: sa.Select, to_row) -> Section:
    section.count = _count(session, query)
    section.rows = [to_row(obj) for obj in session.scalars(query.limit(SHOWN)).unique()]
    return section


def _assignment_row(a: Assignment, kind: str, anchor: str = "") -> Row:
    decision = a.decision
    point = str(_l("п. %(number)s.", number=decision.number)) + " " if decision.number else ""
    return Row(
        kind=kind,
        object_id=a.id,
        title=f"{point}{_short(decision.text)}",
        detail=a.organization.short_name,
        link=app_path("assignments.detail", assignment_id=a.id) + (f"#{anchor}" if anchor else ""),
        due_date=a.due_date,
        state=str(STATE_LABELS[a.status]),
        assignment_id=a.id,
    )


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _controls(user: User) -> sa.ColumnElement[bool]:
    """Assignments the user may accept: staff of the organization's department, or the
    decision's named controller."""
    return sa.or_(
        in_scope(user, "assignment.control", Assignment.organization_id),
        Decision.controller_id == user.id,
    )


def _open_campaign_decisions() -> sa.Select:
    return sa.select(MonitoringCampaign.decision_id).where(
        MonitoringCampaign.status == CampaignStatus.OPEN,
        MonitoringCampaign.decision_id.is_not(None),
    )


# --- staff -----------------------------------------------------------------------------------


def _staff_sections(session: Session, user: User, today: date) -> list[Section]:
    controls = _controls(user)
    not_monitoring = Assignment.decision_id.not_in(_open_campaign_decisions())
    return [
        _fill(
            session,
            Section(
                "reports",
                _l("Отчёты ждут проверки"),
                _l("Новых отчётов нет. Когда школа отчитается, отчёт появится здесь."),
            ),
            _assignments(
                session,
                [controls, Assignment.status == AssignmentStatus.REPORTED],
                [Assignment.reported_at],
            ),
            lambda a: _assignment_row(a, "report", "review"),
        ),
        _extensions(session, user, controls),
        _fill(
            session,
            Section(
                "overdue",
                _l("Просрочено"),
                _l("Просроченных поручений нет. Всё под контролем — на странице «Контроль»."),
                more_link=app_path("assignments.board", status="overdue"),
            ),
            _assignments(
                session,
                [controls, overdue_clause(session), not_monitoring],
                [Assignment.due_date],
            ),
            lambda a: _assignment_row(a, "overdue"),
        ),
        _fill(
            session,
            Section(
                "week",
                _l("Срок на этой неделе"),
                _l("На ближайшие семь дней сроков нет."),
                more_link=app_path("assignments.board", due_within=WEEK),
            ),
            _assignments(
                session,
                [controls, *_due_this_week(today), not_monitoring],
                [Assignment.due_date],
            ),
            lambda a: _assignment_row(a, "due"),
        ),
        _road_maps(
            session,
            Section(
                "road_maps",
                _l("Дорожные карты на согласовании"),
                _l("Дорожных карт на согласовании нет. Отправленная школой карта появится здесь."),
            ),
            [
                RoadMap.status == RoadMapStatus.SUBMITTED,
                in_scope(user, "roadmap.approve", RoadMap.organization_id),
            ],
        ),
        _staff_monitoring(session, user),
    ]


def _due_this_week(today: date) -> list[sa.ColumnElement[bool]]:
    return [
        Assignment.status.in_(OPEN_STATES),
        Assignment.due_date >= today,
        Assignment.due_date <= today + timedelta(days=WEEK),
    ]


def _extensions(session: Session, user: User, controls: sa.ColumnElement[bool]) -> Section:
    section = Section(
        "extensions",
        _l("Просьбы о переносе срока"),
        _l("Просьб о переносе срока нет. Когда школа попросит, просьба появится здесь."),
    )
    query = (
        sa.select(ExtensionRequest)
        .join(ExtensionRequest.assignment)
        .join(Assignment.decision)
        .join(Assignment.organization)
        .where(ExtensionRequest.state == ExtensionState.PENDING, controls)
        .order_by(ExtensionRequest.created_at, ExtensionRequest.id)
        .options(
            contains_eager(ExtensionRequest.assignment).contains_eager(Assignment.decision),
            contains_eager(ExtensionRequest.assignment).contains_eager(Assignment.organization),
        )
    )

    def row(request: ExtensionRequest) -> Row:
        base = _assignment_row(request.assignment, "extension", "extensions")
        base.object_id = request.id
        base.detail = (
            f"{base.detail} · {request.previous_due_date:%d.%m.%Y} → "
            f"{request.proposed_date:%d.%m.%Y}"
        )
        return base

    return _fill(session, section, query, row)


def _road_maps(session: Session, section: Section, where: list) -> Section:
    query = (
        sa.select(RoadMap)
        .join(RoadMap.organization)
        .where(*where)
        .order_by(RoadMap.updated_at, RoadMap.id)
        .options(contains_eager(RoadMap.organization))
    )

    def row(m: RoadMap) -> Row:
        return Row(
            kind="road_map",
            object_id=m.id,
            title=_short(m.title),
            detail=m.organization.short_name,
            link=app_path("roadmaps.detail", road_map_id=m.id),
            state=m.status,
        )

    return _fill(session, section, query, row)


def _staff_monitoring(session: Session, user: User) -> Section:
    """Open collections of the user's departments, with how many schools have not given values."""
    section = Section(
        "monitoring",
        _l("Мониторинг: не сдали"),
        _l("Открытых сборов значений нет. Начать сбор — в разделе «Цикл»."),
    )
    missing = (
        sa.select(Assignment.decision_id, sa.func.count().label("missing"))
        .where(Assignment.status.in_(OPEN_STATES))
        .group_by(Assignment.decision_id)
        .subquery()
    )
    total = (
        sa.select(Assignment.decision_id, sa.func.count().label("total"))
        .where(Assignment.status != AssignmentStatus.CANCELLED)
        .group_by(Assignment.decision_id)
        .subquery()
    )
    query = (
        sa.select(MonitoringCampaign, missing.c.missing, total.c.total)
        .join(missing, missing.c.decision_id == MonitoringCampaign.decision_id)
        .join(total, total.c.decision_id == MonitoringCampaign.decision_id)
        .where(
            MonitoringCampaign.status == CampaignStatus.OPEN,
            in_scope(user, "cycle.manage", MonitoringCampaign.organization_id),
        )
        .order_by(MonitoringCampaign.id)
    )
    rows = session.execute(query).all()
    section.count = len(rows)
    section.rows = [
        Row(
            kind="campaign",
            object_id=c.id,
            title=_short(c.title),
            detail=str(_l("не сдали %(missing)s из %(total)s", missing=n, total=t)),
            link=app_path("cycle.campaign", campaign_id=c.id),
        )
        for c, n, t in rows[:SHOWN]
    ]
    return section


# --- directors and school staff -----------------------------------------------------------


def _school_sections(session: Session, user: User, today: date, at: datetime) -> list[Section]:
    mine = _reports_for(user)
    monitoring = Assignment.decision_id.in_(_open_campaign_decisions())
    handed = (
        []
        if can_anywhere(user, "assignment.delegate")
        else [
            _fill(
                session,
                Section(
                    "handed",
                    _l("Передано вам"),
                    _l("Директор ничего вам не передавал."),
                ),
                _assignments(
                    session,
                    [Assignment.delegate_id == user.id, Assignment.status.in_(OPEN_STATES)],
                    [Assignment.due_date],
                ),
                lambda a: _assignment_row(a, "handed"),
            )
        ]
    )
    return [
        *handed,
        _fill(
            session,
            Section(
                "returned",
                _l("Вернули на доработку"),
                _l("Возвращённых отчётов нет."),
            ),
            _assignments(
                session,
                [mine, Assignment.status == AssignmentStatus.RETURNED],
                [Assignment.due_date],
            ),
            lambda a: _assignment_row(a, "returned"),
        ),
        _fill(
            session,
            Section(
                "overdue",
                _l("Просрочено"),
                _l("Просроченных поручений нет. Все поручения — в «Мои поручения»."),
            ),
            _assignments(
                session, [mine, overdue_clause(session), ~monitoring], [Assignment.due_date]
            ),
            lambda a: _assignment_row(a, "overdue"),
        ),
        _fill(
            session,
            Section(
                "week",
                _l("Срок на этой неделе"),
                _l("На ближайшие семь дней сроков нет. Все поручения — в «Мои поручения»."),
                more_link=app_path("assignments.mine"),
            ),
            _assignments(
                session, [mine, *_due_this_week(today), ~monitoring], [Assignment.due_date]
            ),
            lambda a: _assignment_row(a, "due"),
        ),
        _road_maps(
            session,
            Section(
                "road_maps",
                _l("Замечания к дорожным картам"),
                _l("Замечаний к дорожным картам нет."),
            ),
            [
                RoadMap.status == RoadMapStatus.RETURNED,
                in_scope(user, "roadmap.edit", RoadMap.organization_id),
            ],
        ),
        _school_monitoring(session, user, mine, monitoring),
        _fill(
            session,
            Section(
                "accepted",
                _l("Принято за неделю"),
                _l("За неделю отчётов не принимали."),
            ),
            _assignments(
                session,
                [
                    visible_to(user, Assignment),
                    Assignment.status == AssignmentStatus.DONE,
                    Assignment.done_at >= at - timedelta(days=RECENT_DAYS),
                ],
                [Assignment.done_at.desc()],
            ),
            lambda a: _assignment_row(a, "accepted"),
        ),
    ]


def _reports_for(user: User) -> sa.ColumnElement[bool]:
    """Assignments the user reports on: their organization's, or handed to them by name."""
    return sa.or_(
        in_scope(user, "assignment.report", Assignment.organization_id),
        Assignment.assignee_id == user.id,
    )


def _school_monitoring(session: Session, user: User, mine, monitoring) -> Section:
    section = Section(
        "monitoring",
        _l("Мониторинг: заполнить"),
        _l("Вводить значения не нужно: открытых сборов для вашей организации нет."),
    )
    query = (
        sa.select(Assignment, MonitoringCampaign.id)
        .join(Assignment.decision)
        .join(Assignment.organization)
        .join(MonitoringCampaign, MonitoringCampaign.decision_id == Assignment.decision_id)
        .where(mine, monitoring, Assignment.status.in_(OPEN_STATES))
        .order_by(Assignment.due_date, Assignment.id)
        .options(contains_eager(Assignment.decision), contains_eager(Assignment.organization))
    )
    rows = session.execute(query).unique().all()
    section.count = len(rows)
    section.rows = []
    for a, campaign_id in rows[:SHOWN]:
        row = _assignment_row(a, "campaign")
        row.link = app_path(
            "cycle.campaign_values", campaign_id=campaign_id, org_id=a.organization_id
        )
        section.rows.append(row)
    return section
