"""The management cycle (seed 004): goals → indicators → monitoring → analysis and addressed
recommendations → decisions → effectiveness review. Services flush, views commit."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, load_only

from tracker.assignments.models import AssignmentStatus
from tracker.core import audit, clock
from tracker.core.errors import NotAllowed, Refused
from tracker.core.i18n import _, decimal_separator
from tracker.core.permissions import can, visible_to
from tracker.core.tenancy import Organization, User
from tracker.cycle.models import (
    BETTER,
    CYCLE_STAGES,
    UNITS,
    Analysis,
    CampaignStatus,
    Direction,
    EffectivenessReview,
    Goal,
    Indicator,
    Measurement,
    MonitoringCampaign,
    Recommendation,
)

STAGE_LABELS = {
    "goals": _l("Цели"),
    "indicators": _l("Показатели"),
    "monitoring": _l("Мониторинг"),
    "analysis": _l("Анализ и рекомендации"),
    "decisions": _l("Решения и их исполнение"),
    "effectiveness": _l("Анализ эффективности"),
}
UNIT_LABELS = {
    "number": _l("число"),
    "percent": _l("%"),
    "bool": _l("да/нет"),
    "score": _l("баллы"),
}
VERDICT_LABELS = {
    "effective": _l("эффективно"),
    "partial": _l("частично"),
    "ineffective": _l("неэффективно"),
}
PERIOD = re.compile(r"^\d{4}(?:-(?:Q[1-4]|H[12]|0[1-9]|1[0-2]))?$|^\d{4}/\d{4}$")
YES = {"да", "1", "yes", "есть", "+"}
NO = {"нет", "0", "no", "-", "—"}


class CycleError(Refused):
    """A refused change, with a Russian message; `rows` says which values are wrong."""


def _require(actor: User | None, action: str, organization: Organization | None) -> None:
    if not can(actor, action, organization):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=organization)


def _check_department(session: Session, department: Organization, **refs: int | None) -> None:
    """The cycle is run by a department (управление / отдел образования), not a school; the
    direction and indicator it refers to must exist."""
    if department.kind != "department":
        raise CycleError(_("Цикл ведёт орган управления образованием, а не организация."))
    if (
        refs.get("direction_id") is not None
        and session.get(Direction, refs["direction_id"]) is None
    ):
        raise CycleError(_("Направление не найдено."))
    indicator_id = refs.get("indicator_id")
    if indicator_id is not None:
        indicator = session.get(Indicator, indicator_id)
        if indicator is None or indicator.organization_id != department.id:
            raise CycleError(_("Показатель другого органа управления."))


def _under(department: Organization, organizations: Iterable[Organization]) -> None:
    if any(not o.path.startswith(department.path) or o.id == department.id for o in organizations):
        raise CycleError(_("Организация не подчинена этому органу управления."))


def check_period(period: str) -> str:
    period = (period or "").strip()
    if not PERIOD.match(period):
        raise CycleError(
            _(
                "Период «%(p)s» не понят: укажите год (2023), квартал (2023-Q1), месяц "
                "(2023-09) или учебный год (2022/2023).",
                p=period,
            )
        )
    return period


# --- goals and indicators ----------------------------------------------------------------------


def create_goal(
    session: Session,
    actor: User,
    department: Organization,
    statement: str,
    *,
    direction_id: int | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    indicators: Iterable[Indicator] = (),
    new_indicators: Iterable[tuple[str, str]] = (),
) -> Goal:
    """A goal, with the indicators that measure it: existing ones, new ones written inline
    (code and name; the rest filled in later on the indicator's page), or none yet."""
    _require(actor, "cycle.manage", department)
    _check_department(session, department, direction_id=direction_id)
    indicators = list(indicators)
    for code, name in new_indicators:
        indicators.append(
            create_indicator(
                session, actor, department, code=code, name=name, direction_id=direction_id
            )
        )
    if any(i.organization_id != department.id for i in indicators):
        raise CycleError(_("Показатель другого органа управления."))
    statement = (statement or "").strip()
    if not statement:
        raise CycleError(_("Сформулируйте цель."))
    if period_start and period_end and period_end < period_start:
        raise CycleError(_("Окончание периода раньше его начала: проверьте даты."))
    goal = Goal(
        organization_id=department.id,
        direction_id=direction_id,
        statement=statement,
        period_start=period_start,
        period_end=period_end,
        indicators=indicators,
    )
    session.add(goal)
    session.flush()
    audit.record(actor, "cycle.goal", goal, statement=statement[:200])
    return goal


def indicator_lines(text: str | None) -> list[tuple[str, str]]:
    """«ВСОКО-1 Доля обучающихся …» per line → (code, name); a line of one word is refused."""
    result = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        code, _sep, name = line.partition(" ")
        if not name.strip():
            raise CycleError(
                _(
                    "Строка %(n)s: напишите код показателя, пробел и его название.",
                    n=number,
                )
            )
        result.append((code.strip(), name.strip()))
    if len(result) > 50:
        raise CycleError(_("Не больше 50 новых показателей за раз."))
    return result


def create_indicator(
    session: Session,
    actor: User,
    department: Organization,
    *,
    code: str,
    name: str,
    unit: str = "number",
    direction_id: int | None = None,
    better: str = "higher",
    max_value: Decimal | None = None,
    method: str | None = None,
    source: str | None = None,
    periodicity: str | None = None,
    target_value: Decimal | None = None,
    threshold_value: Decimal | None = None,
    organizations: Iterable[Organization] = (),
) -> Indicator:
    _require(actor, "cycle.manage", department)
    _check_department(session, department, direction_id=direction_id)
    organizations = list(organizations)
    _under(department, organizations)
    if better not in BETTER:
        raise CycleError(_("Укажите, какое значение лучше: выше или ниже."))
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise CycleError(_("Укажите код и название показателя."))
    if unit not in UNITS:
        raise CycleError(_("Неизвестная единица измерения."))
    if unit == "score" and not max_value:
        raise CycleError(_("Для показателя в баллах укажите максимальный балл."))
    duplicate = session.scalar(
        sa.select(Indicator.id).where(
            Indicator.organization_id == department.id, Indicator.code == code
        )
    )
    if duplicate:
        raise CycleError(_("Показатель с кодом «%(code)s» уже есть.", code=code))
    indicator = Indicator(
        organization_id=department.id,
        direction_id=direction_id,
        code=code,
        name=name,
        unit=unit,
        better=better,
        max_value=max_value,
        method=(method or "").strip() or None,
        source=(source or "").strip() or None,
        periodicity=(periodicity or "").strip() or None,
        target_value=target_value,
        threshold_value=threshold_value,
        organizations=organizations,
    )
    session.add(indicator)
    session.flush()
    audit.record(actor, "cycle.indicator", indicator, code=code)
    return indicator


# --- values ------------------------------------------------------------------------------------


def parse_value(indicator: Indicator, raw: Any) -> Decimal:
    """A value as a school writes it («85,5», «85 %», «да»), checked against the unit."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = str(raw if raw is not None else "").strip().lower()
    if indicator.unit == "bool":
        if text in YES:
            return Decimal(1)
        if text in NO:
            return Decimal(0)
        raise CycleError(_("Ожидается «да» или «нет», а не «%(v)s».", v=text))
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".").rstrip("%")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise CycleError(_("«%(v)s» — не число.", v=text)) from None
    if not value.is_finite():
        raise CycleError(_("«%(v)s» — не число.", v=text))
    if value < 0:
        raise CycleError(_("Значение не может быть отрицательным: %(v)s.", v=text))
    if indicator.unit == "percent" and value > 100:
        raise CycleError(_("Доля больше 100 %%: %(v)s.", v=text))
    if (
        indicator.unit == "score"
        and indicator.max_value is not None
        and value > indicator.max_value
    ):
        raise CycleError(
            _(
                "Больше максимального балла (%(max)s): %(v)s.",
                max=plain(indicator.max_value),
                v=text,
            )
        )
    if abs(value) >= Decimal("1e10"):
        raise CycleError(_("Слишком большое число: %(v)s.", v=text))
    return value


def plain(value: Decimal | None) -> str:
    """12.5000 → «12,5» (with the reader's decimal separator: «12.5» in English); 12 → «12»."""
    if value is None:
        return ""
    text = format(value.normalize(), "f") if value == value.to_integral() else f"{value:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", decimal_separator())


def save_values(
    session: Session,
    actor: User,
    organization: Organization,
    period: str,
    values: dict[Indicator, Any],
    *,
    campaign: MonitoringCampaign | None = None,
) -> list[Measurement]:
    """Write one organization's values for a period, all or nothing; an empty value is
    «not given» (reported as missing, never stored as zero)."""
    _require(actor, "measurement.submit", organization)
    period = check_period(period)
    problems: dict[int, str] = {}
    parsed: dict[Indicator, Decimal] = {}
    for indicator, raw in values.items():
        if not organization.path.startswith(indicator.organization.path):
            problems[indicator.id] = _("Показатель другого органа управления.")
            continue
        if raw is None or str(raw).strip() == "":
            continue
        try:
            parsed[indicator] = parse_value(indicator, raw)
        except CycleError as error:
            problems[indicator.id] = str(error)
    if problems:
        indicator = next(i for i in values if i.id in problems)
        raise CycleError(
            _("%(code)s: %(problem)s", code=indicator.code, problem=problems[indicator.id]),
            rows=problems,
        )
    existing = {
        m.indicator_id: m
        for m in session.scalars(
            sa.select(Measurement).where(
                Measurement.organization_id == organization.id,
                Measurement.period == period,
                Measurement.indicator_id.in_([i.id for i in parsed]),
            )
        )
    }
    now = clock.now()
    saved = []
    for indicator, value in parsed.items():
        row = existing.get(indicator.id) or Measurement(
            indicator_id=indicator.id, organization_id=organization.id, period=period
        )
        row.value = value
        row.campaign_id = campaign.id if campaign else row.campaign_id
        row.entered_by_id = actor.id
        row.entered_at = now
        session.add(row)
        saved.append(row)
    session.flush()
    audit.record(
        actor,
        "cycle.values",
        organization=organization.id,
        organization_id=organization.id,
        period=period,
        count=len(saved),
        campaign=campaign.id if campaign else None,
    )
    return saved


# --- monitoring campaigns ---------------------------------------------------------------------


def open_campaign(
    session: Session,
    actor: User,
    department: Organization,
    *,
    title: str,
    period: str,
    indicators: list[Indicator],
    organizations: list[Organization],
    deadline_text: str,
    direction_id: int | None = None,
    manual_acceptance: bool = False,
) -> MonitoringCampaign:
    """A collection of values: one order of the department whose single item asks each school
    for its values, so deadlines, reminders and the control board work as for any decision."""
    from tracker.meetings import services as meetings

    _require(actor, "cycle.manage", department)
    period = check_period(period)
    title = (title or "").strip()
    if not title:
        raise CycleError(_("Назовите мониторинг."))
    if not indicators:
        raise CycleError(_("Выберите хотя бы один показатель."))
    if not organizations:
        raise CycleError(_("Выберите организации, которые представляют значения."))
    _check_department(session, department, direction_id=direction_id)
    _under(department, organizations)
    if any(i.organization_id != department.id for i in indicators):
        raise CycleError(_("Показатель другого органа управления."))
    order = meetings.create_meeting(
        session,
        organization=department,
        held_on=clock.today(department.timezone),
        kind="order",
        title=_("о проведении мониторинга «%(title)s»", title=title),
        actor=actor,
    )
    decision = meetings.add_decision(
        session,
        order,
        number="1",
        text=_(
            "Представить значения показателей мониторинга «%(title)s» за %(period)s: %(codes)s.",
            title=title,
            period=period,
            codes=", ".join(i.code for i in indicators),
        ),
        deadline_text=deadline_text,
        direction_id=direction_id,
        cycle_stage="monitoring",
        controller=actor,
        actor=actor,
    )
    meetings.fan_out(session, decision, organizations, actor=actor)
    campaign = MonitoringCampaign(
        organization_id=department.id,
        title=title,
        period=period,
        decision_id=decision.id,
        direction_id=direction_id,
        created_by_id=actor.id,
        indicators=list(indicators),
        status=CampaignStatus.OPEN,
        manual_acceptance=manual_acceptance,
    )
    session.add(campaign)
    session.flush()
    audit.record(actor, "cycle.campaign", campaign, period=period, schools=len(organizations))
    return campaign


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
    from tracker.assignments.models import Assignment
    from tracker.core.text import natural_key

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
    from tracker.assignments.services import is_overdue
    from tracker.core.deadlines import overdue_from

    if assignment.on_time is False or is_overdue(assignment):
        return True
    return bool(
        assignment.status == AssignmentStatus.REPORTED
        and assignment.reported_at
        and assignment.due_date
        and assignment.reported_at
        >= overdue_from(assignment.due_date, assignment.organization.timezone)
    )


def submit_campaign_values(
    session: Session,
    actor: User,
    campaign: MonitoringCampaign,
    organization: Organization,
    values: dict[Indicator, Any],
) -> list[Measurement]:
    """A school's values for the campaign; once all are given, its assignment is reported."""
    from tracker.assignments import services as assignments
    from tracker.assignments.models import OPEN_STATES, Assignment

    if campaign.status != CampaignStatus.OPEN:
        raise CycleError(_("Сбор значений закрыт."))
    assignment = session.scalar(
        sa.select(Assignment).where(
            Assignment.decision_id == campaign.decision_id,
            Assignment.organization_id == organization.id,
        )
    )
    if assignment is None:
        raise CycleError(_("Эта организация не участвует в мониторинге."))
    unknown = [i for i in values if i not in campaign.indicators]
    if unknown:
        raise CycleError(_("Показатель %(code)s не входит в мониторинг.", code=unknown[0].code))
    saved = save_values(session, actor, organization, campaign.period, values, campaign=campaign)
    missing = [
        i
        for i in campaign.indicators
        if session.scalar(
            sa.select(Measurement.id).where(
                Measurement.indicator_id == i.id,
                Measurement.organization_id == organization.id,
                Measurement.period == campaign.period,
            )
        )
        is None
    ]
    if (
        not missing
        and assignment.status in OPEN_STATES
        and assignments.may(actor, "report", assignment)
    ):
        assignments.submit_report(
            session,
            assignment,
            actor,
            _(
                "Значения показателей мониторинга «%(title)s» за %(period)s представлены (%(n)s).",
                title=campaign.title,
                period=campaign.period,
                n=len(campaign.indicators),
            ),
        )
        if not campaign.manual_acceptance:
            # Every value is in and passed validation: nothing is left for a person to check.
            assignments.transition(
                session,
                assignment,
                "accept",
                None,
                automatic=True,
                via="monitoring",
                comment=_("Принято автоматически: все значения представлены."),
            )
    return saved


def close_campaign(session: Session, actor: User, campaign: MonitoringCampaign) -> None:
    _require(actor, "cycle.manage", campaign.organization)
    campaign.status = CampaignStatus.CLOSED
    session.flush()
    audit.record(actor, "cycle.campaign_closed", campaign)


# --- analysis ----------------------------------------------------------------------------------


def _round(value: Decimal | None, places: str = "1") -> Decimal | None:
    return None if value is None else value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def percent(value: Decimal, maximum: Decimal) -> int:
    return int((Decimal(100) * value / maximum).quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
    result = []
    for indicator in indicators:
        got = data.get(indicator.id, {})
        result.append(
            IndicatorSummary(
                indicator=indicator,
                periods=found_periods,
                means={p: _round(got[p][0], "0.1") if p in got else None for p in found_periods},
                counts={p: got[p][1] if p in got else 0 for p in found_periods},
                at_risk={p: got[p][2] if p in got else 0 for p in found_periods},
            )
        )
    return result


@dataclass
class SchoolValues:
    organization: Organization
    values: dict[str, Decimal]
    at_risk: bool


def indicator_by_school(
    session: Session, user: User, indicator: Indicator, department: Organization
) -> tuple[list[str], list[SchoolValues]]:
    """Values of one indicator by organization and period; the latest value decides «at risk»."""
    from tracker.core.text import natural_key

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


def create_analysis(
    session: Session,
    actor: User,
    department: Organization,
    *,
    title: str,
    text: str = "",
    direction_id: int | None = None,
    indicator_id: int | None = None,
    period: str | None = None,
    recommendations: Iterable[tuple[Organization, str]] = (),
) -> Analysis:
    _require(actor, "cycle.manage", department)
    _check_department(session, department, direction_id=direction_id, indicator_id=indicator_id)
    title = (title or "").strip()
    if not title:
        raise CycleError(_("Назовите анализ."))
    analysis = Analysis(
        organization_id=department.id,
        direction_id=direction_id,
        indicator_id=indicator_id,
        period=check_period(period) if period else None,
        title=title,
        text=(text or "").strip(),
        created_by_id=actor.id,
    )
    session.add(analysis)
    session.flush()
    for organization, body in recommendations:
        add_recommendation(session, actor, analysis, organization, body)
    audit.record(actor, "cycle.analysis", analysis, title=title[:200])
    return analysis


def add_recommendation(
    session: Session, actor: User, analysis: Analysis, organization: Organization, text: str
) -> Recommendation:
    """An addressed recommendation: to a school under the department or to the department."""
    department = analysis.organization
    _require(actor, "cycle.manage", department)
    if not organization.path.startswith(department.path):
        raise CycleError(_("Организация не подчинена этому органу управления."))
    text = (text or "").strip()
    if not text:
        raise CycleError(_("Текст рекомендации пустой."))
    recommendation = Recommendation(analysis=analysis, organization_id=organization.id, text=text)
    session.add(recommendation)
    session.flush()
    audit.record(actor, "cycle.recommendation", analysis, organization=organization.id)
    return recommendation


def decide(
    session: Session,
    actor: User,
    recommendation: Recommendation,
    *,
    deadline_text: str,
    meeting: Any = None,
    executors: list[Organization] | None = None,
) -> Any:
    """One click from a recommendation to a tracked decision: an item of `meeting`, or of a new
    order of the department; executors default to the recommendation's addressee."""
    from tracker.meetings import services as meetings

    analysis = recommendation.analysis
    department = analysis.organization
    _require(actor, "meeting.manage", department)
    if recommendation.decision_id is not None:
        raise CycleError(_("По этой рекомендации решение уже принято."))
    if meeting is None:
        meeting = meetings.create_meeting(
            session,
            organization=department,
            held_on=clock.today(department.timezone),
            kind="order",
            title=_("о мерах по итогам анализа «%(title)s»", title=analysis.title),
            actor=actor,
        )
    elif meeting.organization_id != department.id:
        raise CycleError(_("Совещание другого органа управления."))
    decision = meetings.add_decision(
        session,
        meeting,
        text=recommendation.text,
        deadline_text=deadline_text,
        direction_id=analysis.direction_id,
        cycle_stage="decisions",
        controller=actor,
        actor=actor,
    )
    meetings.fan_out(session, decision, executors or [recommendation.organization], actor=actor)
    recommendation.decision_id = decision.id
    session.flush()
    audit.record(actor, "cycle.decide", analysis, decision=decision.id)
    return decision


# --- effectiveness ------------------------------------------------------------------------------


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
    from tracker.assignments.models import Assignment
    from tracker.roadmaps.models import ActionStatus, RoadMap, RoadMapAction

    figures: dict[str, Any] = {}
    if indicator is not None:
        for key, period in (("before", period_before), ("after", period_after)):
            mean = None
            if period:
                mean = session.scalar(
                    sa.select(sa.func.avg(Measurement.value))
                    .join(Organization, Organization.id == Measurement.organization_id)
                    .where(
                        Measurement.indicator_id == indicator.id,
                        Measurement.period == period,
                        Organization.path.like(department.path + "%"),
                    )
                )
            figures[key] = str(_round(Decimal(str(mean)), "0.1")) if mean is not None else None
        after = Decimal(figures["after"]) if figures.get("after") else None
        target = indicator.target_value
        figures["target"] = f"{target.normalize():f}" if target is not None else None
        figures["target_reached"] = reached(indicator, after)
        if figures.get("before") and figures.get("after"):
            figures["change"] = str(Decimal(figures["after"]) - Decimal(figures["before"]))
    ids = [d.id for d in decisions]
    assignments = (
        session.scalars(sa.select(Assignment).where(Assignment.decision_id.in_(ids))).all()
        if ids
        else []
    )
    live = [a for a in assignments if a.status != AssignmentStatus.CANCELLED]
    figures["assignments"] = len(live)
    figures["assignments_on_time"] = sum(
        1 for a in live if a.status == AssignmentStatus.DONE and a.on_time
    )
    figures["assignments_done"] = sum(1 for a in live if a.status == AssignmentStatus.DONE)
    actions = (
        session.execute(
            sa.select(RoadMapAction.status, RoadMapAction.completed_on, RoadMapAction.due_date)
            .join(RoadMap, RoadMap.id == RoadMapAction.road_map_id)
            .where(
                RoadMap.assignment_id.in_([a.id for a in live]),
                RoadMapAction.status != ActionStatus.DROPPED,
            )
        ).all()
        if live
        else []
    )
    figures["actions"] = len(actions)
    figures["actions_on_time"] = sum(
        1
        for status, done_on, due in actions
        if status == ActionStatus.DONE and (due is None or done_on <= due)
    )
    return figures


def record_review(
    session: Session,
    actor: User,
    department: Organization,
    *,
    decisions: list[Any],
    verdict: str,
    comment: str | None = None,
    indicator: Indicator | None = None,
    direction_id: int | None = None,
    period_before: str | None = None,
    period_after: str | None = None,
) -> EffectivenessReview:
    _require(actor, "cycle.manage", department)
    if any(d.organization_id != department.id for d in decisions):
        raise CycleError(_("Решение другого органа управления."))
    _check_department(
        session,
        department,
        direction_id=direction_id,
        indicator_id=indicator.id if indicator else None,
    )
    if verdict not in VERDICT_LABELS:
        raise CycleError(_("Выберите вывод: эффективно, частично или неэффективно."))
    if not decisions and indicator is None:
        raise CycleError(_("Выберите решения или показатель, эффективность которых оценивается."))
    for period in (period_before, period_after):
        if period:
            check_period(period)
    if period_before and period_after and period_after <= period_before:
        raise CycleError(_("Период «после» должен быть позже периода «до»."))
    review = EffectivenessReview(
        organization_id=department.id,
        direction_id=direction_id or (indicator.direction_id if indicator else None),
        indicator_id=indicator.id if indicator else None,
        period_before=period_before,
        period_after=period_after,
        verdict=verdict,
        comment=(comment or "").strip() or None,
        reviewed_by_id=actor.id,
        reviewed_at=clock.now(),
        decisions=list(decisions),
        figures=effectiveness_figures(
            session, department, indicator, period_before, period_after, decisions
        ),
    )
    session.add(review)
    session.flush()
    audit.record(actor, "cycle.review", review, verdict=verdict)
    return review


# --- the cycle board ---------------------------------------------------------------------------


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
    from tracker.assignments.models import Assignment
    from tracker.meetings.models import Decision

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
