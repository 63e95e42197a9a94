"""The cycle board: per direction, what exists at each of the six stages of the management cycle
in a year, counted by a few grouped queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.assignments.models import Assignment, AssignmentStatus
from tracker.core import clock
from tracker.core.permissions import visible_to
from tracker.core.tenancy import Organization, User
from tracker.cycle.models import (
    CYCLE_STAGES,
    Analysis,
    Direction,
    EffectivenessReview,
    Goal,
    Indicator,
    Measurement,
)
from tracker.meetings.models import Decision


@dataclass
class StageCell:
    count: int
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.count > 0


@dataclass
class BoardRow:
    direction: Direction
    cells: dict[str, StageCell]

    @property
    def missing(self) -> list[str]:
        return [s for s in CYCLE_STAGES if not self.cells[s].done]


def cycle_board(
    session: Session, user: User, department: Organization, year: int
) -> list[BoardRow]:
    """Per direction, what exists at each of the six stages in `year` (a few grouped queries)."""
    directions = session.scalars(sa.select(Direction).order_by(Direction.position)).all()
    within = Organization.path.like(department.path + "%")
    start, end = date(year, 1, 1), date(year, 12, 31)

    def grouped(query: sa.Select) -> dict[int, int]:
        return {k: v for k, v in session.execute(query).all() if k is not None}

    goals = grouped(
        sa.select(Goal.direction_id, sa.func.count())
        .join(Organization, Organization.id == Goal.organization_id)
        .where(
            within,
            visible_to(user, Goal),
            sa.or_(Goal.period_start.is_(None), Goal.period_start <= end),
            sa.or_(Goal.period_end.is_(None), Goal.period_end >= start),
        )
        .group_by(Goal.direction_id)
    )
    indicators = grouped(
        sa.select(Indicator.direction_id, sa.func.count())
        .join(Organization, Organization.id == Indicator.organization_id)
        .where(within, visible_to(user, Indicator))
        .group_by(Indicator.direction_id)
    )
    year_like = f"{year}%"
    # Monitoring: indicators of the direction with at least one value in the year.
    measured = grouped(
        sa.select(Indicator.direction_id, sa.func.count(sa.distinct(Indicator.id)))
        .join(Organization, Organization.id == Indicator.organization_id)
        .where(
            within,
            visible_to(user, Indicator),
            sa.exists().where(
                Measurement.indicator_id == Indicator.id,
                # a range, not LIKE: it uses the (indicator_id, period) index in any collation
                Measurement.period >= str(year),
                Measurement.period < str(year + 1),
                visible_to(user, Measurement),
            ),
        )
        .group_by(Indicator.direction_id)
    )
    analyses = grouped(
        sa.select(Analysis.direction_id, sa.func.count())
        .join(Organization, Organization.id == Analysis.organization_id)
        .where(
            within,
            visible_to(user, Analysis),
            sa.or_(
                Analysis.period.like(year_like),
                sa.and_(
                    Analysis.period.is_(None),
                    Analysis.created_at >= clock.as_utc(datetime(year, 1, 1), department.timezone),
                    Analysis.created_at
                    < clock.as_utc(datetime(year + 1, 1, 1), department.timezone),
                ),
            ),
        )
        .group_by(Analysis.direction_id)
    )
    decision_rows = session.execute(
        sa.select(
            Decision.direction_id,
            sa.func.count(sa.distinct(Decision.id)),
            sa.func.count(Assignment.id),
            sa.func.count(Assignment.id).filter(Assignment.status == AssignmentStatus.DONE),
        )
        .join(Organization, Organization.id == Decision.organization_id)
        .outerjoin(Assignment, Assignment.decision_id == Decision.id)
        .where(
            within,
            visible_to(user, Decision),
            Decision.direction_id.is_not(None),
            Decision.due_date.between(start, end) | Decision.due_date.is_(None),
            Decision.cycle_stage.is_distinct_from("monitoring"),
        )
        .group_by(Decision.direction_id)
    ).all()
    decisions = {d: (n, total, done) for d, n, total, done in decision_rows}
    reviews = grouped(
        sa.select(EffectivenessReview.direction_id, sa.func.count())
        .join(Organization, Organization.id == EffectivenessReview.organization_id)
        .where(
            within,
            visible_to(user, EffectivenessReview),
            sa.or_(
                EffectivenessReview.period_after.like(year_like),
                EffectivenessReview.period_after.is_(None),
            ),
        )
        .group_by(EffectivenessReview.direction_id)
    )
    board = []
    for d in directions:
        n, total, done = decisions.get(d.id, (0, 0, 0))
        board.append(
            BoardRow(
                d,
                {
                    "goals": StageCell(goals.get(d.id, 0)),
                    "indicators": StageCell(
                        indicators.get(d.id, 0),
                        f"/{d.declared_indicators}" if d.declared_indicators else "",
                    ),
                    "monitoring": StageCell(measured.get(d.id, 0)),
                    "analysis": StageCell(analyses.get(d.id, 0)),
                    "decisions": StageCell(n, f"{done}/{total}" if total else ""),
                    "effectiveness": StageCell(reviews.get(d.id, 0)),
                },
            )
        )
    return board
