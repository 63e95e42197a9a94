"""Read models of the management cycle for pages and the API: who gave which values in a
campaign, a direction's summary, an indicator by school, the score table, the figures an
effectiveness review rests on, and the cycle board."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, load_only, selectinload

from tracker.assignments.models import Assignment, AssignmentStatus
from tracker.assignments.services import is_overdue
from tracker.core.deadlines import overdue_from
from tracker.core.permissions import visible_to
from tracker.core.tenancy import Organization, User
from tracker.core.text import natural_key
from tracker.cycle.models import (
    Analysis,
    Direction,
    EffectivenessReview,
    Goal,
    Indicator,
    Measurement,
    MonitoringCampaign,
)
from tracker.cycle.values import percent, rounded
from tracker.meetings.models import Decision
from tracker.roadmaps.models import ActionStatus, RoadMap, RoadMapAction


@dataclass
class CampaignRow:
    organization: Organization
    assignment: Any
    given: int
    missing: list[Indicator]
    late: bool

    @property
    def complete(self) -> bool:
        return not self.missing


def campaign_rows(session: Session, user: User, campaign: MonitoringCampaign) -> list[CampaignRow]:
    """Who has given which values, through the permission filter (a director sees their row)."""
    assignments = session.scalars(
        sa.select(Assignment).where(
            Assignment.decision_id == campaign.decision_id, visible_to(user, Assignment)
        )
    ).all()
    given: dict[int, set[int]] = defaultdict(set)
    for org_id, indicator_id in session.execute(
        sa.select(Measurement.organization_id, Measurement.indicator_id).where(
            Measurement.period == campaign.period,
            Measurement.indicator_id.in_([i.id for i in campaign.indicators]),
            Measurement.organization_id.in_([a.organization_id for a in assignments]),
        )
    ):
        given[org_id].add(indicator_id)
    rows = []
    for a in assignments:
        have = given[a.organization_id]
        rows.append(
            CampaignRow(
                organization=a.organization,
                assignment=a,
                given=len(have),
                missing=[i for i in campaign.indicators if i.id not in have],
                late=_late(a),
            )
        )
    return sorted(rows, key=lambda r: natural_key(r.organization.short_name))


def _late(assignment: Any) -> bool:
    """Overdue now, closed late, or reported after the deadline (before anyone accepted it)."""
    if assignment.on_time is False or is_overdue(assignment):
        return True
    return bool(
        assignment.status == AssignmentStatus.REPORTED
        and assignment.reported_at
        and assignment.due_date
        and assignment.reported_at
        >= overdue_from(assignment.due_date, assignment.organization.timezone)
    )


@dataclass
class IndicatorSummary:
    indicator: Indicator
    periods: list[str]
    means: dict[str, Decimal | None]
    counts: dict[str, int]
    at_risk: dict[str, int]

    @property
    def latest(self) -> Decimal | None:
        return self.means.get(self.periods[-1]) if self.periods else None

    @property
    def change(self) -> Decimal | None:
        if len(self.periods) < 2:
            return None
        a, b = self.means.get(self.periods[-2]), self.means.get(self.periods[-1])
        return None if a is None or b is None else b - a

    @property
    def target_reached(self) -> bool | None:
        return reached(self.indicator, self.latest)


def reached(indicator: Indicator, value: Decimal | None) -> bool | None:
    if value is None or indicator.target_value is None:
        return None
    if indicator.better == "higher":
        return value >= indicator.target_value
    return value <= indicator.target_value


def at_risk_clause(indicator_model: Any = Indicator) -> sa.ColumnElement[bool]:
    """A value on the wrong side of the indicator's threshold (or of the target, if none)."""
    limit = sa.func.coalesce(indicator_model.threshold_value, indicator_model.target_value)
    return sa.and_(
        limit.is_not(None),
        sa.case(
            (indicator_model.better == "higher", Measurement.value < limit),
            else_=Measurement.value > limit,
        ),
    )


def direction_summary(
    session: Session,
    user: User,
    direction: Direction,
    department: Organization,
    periods: list[str] | None = None,
    only: Indicator | None = None,
) -> list[IndicatorSummary]:
    """Each indicator of the direction (or `only` that one): mean of the visible values per
    period, how many organizations gave a value, and how many are at risk. One grouped query."""
    indicators = (
        [only]
        if only is not None
        else session.scalars(
            sa.select(Indicator)
            .where(Indicator.direction_id == direction.id, visible_to(user, Indicator))
            .order_by(Indicator.code)
        ).all()
    )
    if not indicators:
        return []
    rows = session.execute(
        sa.select(
            Measurement.indicator_id,
            Measurement.period,
            sa.func.avg(Measurement.value),
            sa.func.count(),
            sa.func.count().filter(at_risk_clause()),
        )
        .join(Indicator, Indicator.id == Measurement.indicator_id)
        .join(Organization, Organization.id == Measurement.organization_id)
        .where(
            Measurement.indicator_id.in_([i.id for i in indicators]),
            Organization.path.like(department.path + "%"),
            visible_to(user, Measurement),
            *([Measurement.period.in_(periods)] if periods else []),
        )
        .group_by(Measurement.indicator_id, Measurement.period)
    ).all()
    found_periods = sorted({r[1] for r in rows})
    data: dict[int, dict[str, tuple[Decimal, int, int]]] = defaultdict(dict)
    for indicator_id, period, mean, count, risky in rows:
        data[indicator_id][period] = (Decimal(str(mean)), count, risky)
    return [_summary(i, found_periods, data.get(i.id, {})) for i in indicators]


def _summary(
    indicator: Indicator, periods: list[str], got: dict[str, tuple[Decimal, int, int]]
) -> IndicatorSummary:
    """An indicator's (mean, count, at risk) by period, with the periods it has no value in."""
    return IndicatorSummary(
        indicator=indicator,
        periods=periods,
        means={p: rounded(got[p][0], "0.1") if p in got else None for p in periods},
        counts={p: got[p][1] if p in got else 0 for p in periods},
        at_risk={p: got[p][2] if p in got else 0 for p in periods},
    )


@dataclass
class SchoolValues:
    organization: Organization
    values: dict[str, Decimal]
    at_risk: bool


def indicator_by_school(
    session: Session, user: User, indicator: Indicator, department: Organization
) -> tuple[list[str], list[SchoolValues]]:
    """Values of one indicator by organization and period; the latest value decides «at risk»."""
    rows = session.execute(
        sa.select(Measurement.organization_id, Measurement.period, Measurement.value)
        .join(Organization, Organization.id == Measurement.organization_id)
        .where(
            Measurement.indicator_id == indicator.id,
            Organization.path.like(department.path + "%"),
            visible_to(user, Measurement),
        )
    ).all()
    periods = sorted({r[1] for r in rows})
    values: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for org_id, period, value in rows:
        values[org_id][period] = value
    # the department's organizations by its path (a thousand ids in an IN list cost more)
    orgs = {
        o.id: o
        for o in session.scalars(
            sa.select(Organization)
            .where(Organization.path.like(department.path + "%"))
            .options(load_only(Organization.id, Organization.short_name))
        )
    }
    limit = indicator.threshold_value if indicator.threshold_value is not None else None
    limit = limit if limit is not None else indicator.target_value
    result = []
    for org_id, by_period in values.items():
        latest = by_period[max(by_period)]
        risky = limit is not None and (
            latest < limit if indicator.better == "higher" else latest > limit
        )
        result.append(SchoolValues(orgs[org_id], by_period, risky))
    result.sort(key=lambda s: natural_key(s.organization.short_name))
    return periods, result


@dataclass
class ScoreRow:
    direction: Direction
    scores: dict[str, Decimal]
    maxima: dict[str, Decimal]
    percents: dict[str, int]

    def trend(self, before: str, after: str) -> str | None:
        if before not in self.percents or after not in self.percents:
            return None
        delta = self.percents[after] - self.percents[before]
        return "up" if delta > 0 else "down" if delta < 0 else "stable"


@dataclass
class ScoreTable:
    periods: list[str]
    rows: list[ScoreRow]
    totals: dict[str, Decimal] = field(default_factory=dict)
    maxima: dict[str, Decimal] = field(default_factory=dict)
    percents: dict[str, int] = field(default_factory=dict)

    @property
    def change(self) -> int | None:
        if len(self.periods) < 2:
            return None
        return self.percents[self.periods[-1]] - self.percents[self.periods[-2]]

    def trends(self) -> dict[str, int]:
        counts = {"up": 0, "down": 0, "stable": 0}
        if len(self.periods) >= 2:
            for row in self.rows:
                trend = row.trend(self.periods[-2], self.periods[-1])
                if trend:
                    counts[trend] += 1
        return counts


def score_table(
    session: Session, user: User, organization: Organization, framework: str
) -> ScoreTable:
    """Scores of a framework's directions for one organization by period, as in seed 003:
    the score, the maximum, «реализуемость» (score / maximum) and the totals."""
    rows = session.execute(
        sa.select(
            Indicator.direction_id,
            Measurement.period,
            sa.func.sum(Measurement.value),
            sa.func.sum(Indicator.max_value),
        )
        .join(Indicator, Indicator.id == Measurement.indicator_id)
        .join(Direction, Direction.id == Indicator.direction_id)
        .where(
            Direction.framework == framework,
            Indicator.unit == "score",
            Measurement.organization_id == organization.id,
            visible_to(user, Measurement),
        )
        .group_by(Indicator.direction_id, Measurement.period)
    ).all()
    directions = {
        d.id: d
        for d in session.scalars(sa.select(Direction).where(Direction.framework == framework))
    }
    periods = sorted({r[1] for r in rows})
    by_direction: dict[int, ScoreRow] = {}
    for direction_id, period, score, maximum in rows:
        row = by_direction.setdefault(direction_id, ScoreRow(directions[direction_id], {}, {}, {}))
        row.scores[period] = Decimal(score)
        row.maxima[period] = Decimal(maximum)
        row.percents[period] = percent(Decimal(score), Decimal(maximum))
    table = ScoreTable(periods, sorted(by_direction.values(), key=lambda r: r.direction.position))
    for period in periods:
        table.totals[period] = sum((r.scores.get(period, 0) for r in table.rows), Decimal(0))
        table.maxima[period] = sum((r.maxima.get(period, 0) for r in table.rows), Decimal(0))
        table.percents[period] = percent(table.totals[period], table.maxima[period])
    return table


def effectiveness_figures(
    session: Session,
    department: Organization,
    indicator: Indicator | None,
    period_before: str | None,
    period_after: str | None,
    decisions: list[Any],
) -> dict[str, Any]:
    """What the review rests on, from the data: the indicator's mean before and after, whether
    the target is reached, and how much of the measures was done on time."""
    figures: dict[str, Any] = {}
    if indicator is not None:
        figures |= _indicator_figures(session, department, indicator, period_before, period_after)
    return figures | _execution_figures(session, decisions)


def _mean(
    session: Session, department: Organization, indicator: Indicator, period: str | None
) -> str | None:
    if not period:
        return None
    mean = session.scalar(
        sa.select(sa.func.avg(Measurement.value))
        .join(Organization, Organization.id == Measurement.organization_id)
        .where(
            Measurement.indicator_id == indicator.id,
            Measurement.period == period,
            Organization.path.like(department.path + "%"),
        )
    )
    return str(rounded(Decimal(str(mean)), "0.1")) if mean is not None else None


def _indicator_figures(
    session: Session,
    department: Organization,
    indicator: Indicator,
    period_before: str | None,
    period_after: str | None,
) -> dict[str, Any]:
    before = _mean(session, department, indicator, period_before)
    after = _mean(session, department, indicator, period_after)
    target = indicator.target_value
    figures = {
        "before": before,
        "after": after,
        "target": f"{target.normalize():f}" if target is not None else None,
        "target_reached": reached(indicator, Decimal(after) if after else None),
    }
    if before and after:
        figures["change"] = str(Decimal(after) - Decimal(before))
    return figures


def _execution_figures(session: Session, decisions: list[Any]) -> dict[str, Any]:
    """How many of the decisions' assignments and road-map actions were done, and on time."""
    live = _live_assignments(session, decisions)
    actions = _actions_of(session, live)
    done = [a for a in live if a.status == AssignmentStatus.DONE]
    return {
        "assignments": len(live),
        "assignments_on_time": sum(1 for a in done if a.on_time),
        "assignments_done": len(done),
        "actions": len(actions),
        "actions_on_time": sum(1 for action in actions if _action_on_time(*action)),
    }


def _live_assignments(session: Session, decisions: list[Any]) -> list[Assignment]:
    ids = [d.id for d in decisions]
    if not ids:
        return []
    assignments = session.scalars(sa.select(Assignment).where(Assignment.decision_id.in_(ids)))
    return [a for a in assignments if a.status != AssignmentStatus.CANCELLED]


def _actions_of(session: Session, assignments: list[Assignment]) -> list[Any]:
    """(status, completed on, due date) of the road-map actions of the assignments."""
    if not assignments:
        return []
    return list(
        session.execute(
            sa.select(RoadMapAction.status, RoadMapAction.completed_on, RoadMapAction.due_date)
            .join(RoadMap, RoadMap.id == RoadMapAction.road_map_id)
            .where(
                RoadMap.assignment_id.in_([a.id for a in assignments]),
                RoadMapAction.status != ActionStatus.DROPPED,
            )
        ).all()
    )


def _action_on_time(status: str, done_on: date | None, due: date | None) -> bool:
    return status == ActionStatus.DONE and (due is None or done_on <= due)


# --- what the pages list ------------------------------------------------------------------------


def directions(session: Session) -> list[Direction]:
    return list(session.scalars(sa.select(Direction).order_by(Direction.position)))


def department_indicators(
    session: Session, department: Organization, direction_id: int | None = None
) -> list[Indicator]:
    query = sa.select(Indicator).where(Indicator.organization_id == department.id)
    if direction_id:
        query = query.where(Indicator.direction_id == direction_id)
    return list(session.scalars(query.order_by(Indicator.code)))


def schools_under(session: Session, department: Organization) -> list[Organization]:
    schools = session.scalars(
        sa.select(Organization).where(
            Organization.path.like(department.path + "%"), Organization.id != department.id
        )
    ).all()
    return sorted(schools, key=lambda o: natural_key(o.short_name))


def direction_lists(
    session: Session, user: User, direction: Direction, department: Organization
) -> dict[str, list[Any]]:
    """The goals, campaigns, analyses and reviews of a direction under the department."""
    within = Organization.path.like(department.path + "%")

    def listed(model: Any, order: Any, *options: Any) -> list[Any]:
        return list(
            session.scalars(
                sa.select(model)
                .join(Organization, Organization.id == model.organization_id)
                .where(model.direction_id == direction.id, within, visible_to(user, model))
                .order_by(order)
                .options(*options)
            )
        )

    return {
        "goals": listed(Goal, Goal.id, selectinload(Goal.indicators)),
        "campaigns": listed(MonitoringCampaign, MonitoringCampaign.id.desc()),
        "analyses": listed(Analysis, Analysis.id.desc(), selectinload(Analysis.recommendations)),
        "reviews": listed(EffectivenessReview, EffectivenessReview.id.desc()),
    }


def given_values(
    session: Session, organization: Organization, period: str, indicators: list[Indicator] | None
) -> dict[int, Decimal]:
    """Indicator id → the organization's value for the period (of `indicators`, or of all)."""
    query = sa.select(Measurement.indicator_id, Measurement.value).where(
        Measurement.organization_id == organization.id, Measurement.period == period
    )
    if indicators is not None:
        query = query.where(Measurement.indicator_id.in_([i.id for i in indicators]))
    return dict(session.execute(query).all())


def reviewable_decisions(
    session: Session, user: User, department: Organization, direction_id: int | None
) -> list[Decision]:
    """The department's latest decisions (of a direction) an effectiveness review may cover."""
    return list(
        session.scalars(
            sa.select(Decision)
            .where(
                Decision.organization_id == department.id,
                Decision.direction_id == direction_id if direction_id else sa.true(),
                Decision.cycle_stage.is_distinct_from("monitoring"),
                visible_to(user, Decision),
            )
            .order_by(Decision.id.desc())
            .limit(200)
        )
    )
