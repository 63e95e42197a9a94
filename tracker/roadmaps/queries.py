"""The department's view of road maps: listing with progress, the per-school chart, the summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

import sqlalchemy as sa
from flask import current_app
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session, contains_eager

from tracker.core import clock, office
from tracker.core.i18n import _
from tracker.core.permissions import visible_to
from tracker.core.tenancy import Organization, User
from tracker.core.text import natural_key
from tracker.roadmaps.models import RoadMap, RoadMapStatus, RoadMapVersion
from tracker.roadmaps.progress import Progress, progress_for
from tracker.roadmaps.services import STATE_LABELS


@dataclass(frozen=True)
class ListFilter:
    direction_id: int | None = None
    organization_id: int | None = None
    status: str | None = None


@dataclass
class OverviewRow:
    road_map: RoadMap
    progress: Progress
    submitted_at: datetime | None


def overview(session: Session, user: User, f: ListFilter) -> list[OverviewRow]:
    """Every road map the user may see, with its progress, in two queries plus one for dates."""
    query = (
        sa.select(RoadMap)
        .join(Organization, Organization.id == RoadMap.organization_id)
        .where(visible_to(user, RoadMap))
        .options(contains_eager(RoadMap.organization))
    )
    if f.direction_id:
        query = query.where(RoadMap.direction_id == f.direction_id)
    if f.organization_id:
        subtree = sa.select(Organization.path).where(Organization.id == f.organization_id)
        query = query.where(Organization.path.like(subtree.scalar_subquery().concat("%")))
    if f.status:
        query = query.where(RoadMap.status == f.status)
    maps = sorted(
        session.scalars(query), key=lambda m: (natural_key(m.organization.short_name), m.id)
    )
    ids = [m.id for m in maps]
    today = clock.today(current_app.config["TRACKER_TIMEZONE"])
    progress = progress_for(session, ids, today)
    submitted = (
        dict(
            session.execute(
                sa.select(RoadMapVersion.road_map_id, sa.func.max(RoadMapVersion.submitted_at))
                .where(RoadMapVersion.road_map_id.in_(ids))
                .group_by(RoadMapVersion.road_map_id)
            ).all()
        )
        if ids
        else {}
    )
    return [OverviewRow(m, progress[m.id], submitted.get(m.id)) for m in maps]


# Which of a school's maps is its current one: the approved, else the one under review, else
# the one returned for rework, else a draft; the most recent within each.
CURRENT_RANK = {
    RoadMapStatus.APPROVED: 0,
    RoadMapStatus.SUBMITTED: 1,
    RoadMapStatus.RETURNED: 2,
    RoadMapStatus.DRAFT: 3,
}


@dataclass
class SchoolRow:
    """One school: its current road map (None: it owes one and has none) and how many other
    maps it has that are not counted here."""

    organization: Organization
    current: OverviewRow | None
    others: int = 0


def _recency(row: OverviewRow) -> float:
    m = row.road_map
    moment = m.approved_at if m.status == RoadMapStatus.APPROVED else row.submitted_at
    return (moment or m.updated_at or m.created_at).timestamp()


def schools_owing(session: Session, user: User, f: ListFilter) -> list[Organization]:
    """Schools asked for a road map: executors (not cancelled) of a decision that some school
    answers with a road map, or whose words ask for one («дорожная карта», «план мероприятий»)."""
    from tracker.assignments.models import Assignment, AssignmentStatus
    from tracker.meetings.models import Decision

    answered = (
        sa.select(Assignment.decision_id)
        .join(RoadMap, RoadMap.assignment_id == Assignment.id)
        .scalar_subquery()
    )
    asks = sa.or_(
        Decision.id.in_(answered),
        Decision.text.like("%орожн% карт%"),
        Decision.text.like("%лан мероприятий%"),
    )
    owing = (
        sa.select(Assignment.organization_id)
        .join(Decision, Decision.id == Assignment.decision_id)
        .where(asks, Assignment.status != AssignmentStatus.CANCELLED, visible_to(user, Assignment))
    )
    if f.direction_id:
        owing = owing.where(Decision.direction_id == f.direction_id)
    query = sa.select(Organization).where(
        Organization.id.in_(owing), visible_to(user, Organization, "roadmap.view")
    )
    if f.organization_id:
        subtree = sa.select(Organization.path).where(Organization.id == f.organization_id)
        query = query.where(Organization.path.like(subtree.scalar_subquery().concat("%")))
    return list(session.scalars(query))


def current_by_school(
    session: Session, user: User, f: ListFilter, rows: list[OverviewRow]
) -> list[SchoolRow]:
    """One row per school, never several maps pooled; schools that owe a map and have none
    come as rows without one («нет карты») unless the list is filtered by a map's state."""
    by_org: dict[int, list[OverviewRow]] = defaultdict(list)
    for row in rows:
        by_org[row.road_map.organization_id].append(row)
    result = []
    for maps in by_org.values():
        current = min(
            maps, key=lambda r: (CURRENT_RANK[r.road_map.status], -_recency(r), -r.road_map.id)
        )
        result.append(SchoolRow(current.road_map.organization, current, len(maps) - 1))
    if not f.status:
        result += [
            SchoolRow(org, None) for org in schools_owing(session, user, f) if org.id not in by_org
        ]
    return sorted(result, key=lambda r: natural_key(r.organization.short_name))


@dataclass
class SchoolBar:
    organization: Organization
    done: int
    total: int
    overdue: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def by_school(schools: list[SchoolRow]) -> list[SchoolBar]:
    """Progress of each school's current road map, for the chart."""
    bars = [
        SchoolBar(
            s.organization,
            s.current.progress.done,
            s.current.progress.total,
            s.current.progress.overdue,
        )
        for s in schools
        if s.current is not None
    ]
    return sorted(bars, key=lambda b: (-b.percent, natural_key(b.organization.short_name)))


def summary_xlsx(rows: list[OverviewRow]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Дорожные карты")[:31]
    header = [
        _("Организация"),
        _("Дорожная карта"),
        _("Состояние"),
        _("Мероприятий"),
        _("Выполнено"),
        _("В срок"),
        _("Просрочено"),
        _("% выполнения"),
        _("Направлена на согласование"),
    ]
    office.append(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    totals = defaultdict(int)
    for row in rows:
        p = row.progress
        office.append(
            ws,
            [
                row.road_map.organization.short_name,
                row.road_map.title,
                str(STATE_LABELS[row.road_map.status]),
                p.total,
                p.done,
                p.on_time,
                p.overdue,
                p.percent / 100,
                row.submitted_at.date() if row.submitted_at else None,
            ],
        )
        ws.cell(ws.max_row, 8).number_format = "0%"
        ws.cell(ws.max_row, 9).number_format = "DD.MM.YYYY"
        for key, value in (("total", p.total), ("done", p.done), ("on_time", p.on_time)):
            totals[key] += value
        totals["overdue"] += p.overdue
    office.append(
        ws,
        [
            _("Итого"),
            None,
            None,
            totals["total"],
            totals["done"],
            totals["on_time"],
            totals["overdue"],
            totals["done"] / totals["total"] if totals["total"] else 0,
        ],
    )
    ws.cell(ws.max_row, 8).number_format = "0%"
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHI", (34, 60, 18, 12, 12, 10, 12, 12, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:I{max(ws.max_row - 1, 1)}"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
