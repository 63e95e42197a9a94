"""The management cycle's commands (seed 004): goals → indicators → monitoring → analysis and
addressed recommendations → decisions → effectiveness review. Services flush, views commit.
What the pages read is in cycle.queries and cycle.board, values as written in cycle.values."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.assignments import services as assignments
from tracker.assignments.models import OPEN_STATES, Assignment
from tracker.core import audit, clock
from tracker.core.errors import NotAllowed
from tracker.core.i18n import _
from tracker.core.permissions import can
from tracker.core.tenancy import Organization, User
from tracker.cycle.models import (
    BETTER,
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
from tracker.cycle.queries import effectiveness_figures
from tracker.cycle.values import VERDICT_LABELS, CycleError, check_period, parse_value
from tracker.meetings import services as meetings


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
    code, name = (code or "").strip(), (name or "").strip()
    _check_indicator(code, name, unit, better, max_value)
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
        method=_text_or_none(method),
        source=_text_or_none(source),
        periodicity=_text_or_none(periodicity),
        target_value=target_value,
        threshold_value=threshold_value,
        organizations=organizations,
    )
    session.add(indicator)
    session.flush()
    audit.record(actor, "cycle.indicator", indicator, code=code)
    return indicator


def _check_indicator(
    code: str, name: str, unit: str, better: str, max_value: Decimal | None
) -> None:
    if better not in BETTER:
        raise CycleError(_("Укажите, какое значение лучше: выше или ниже."))
    if not code or not name:
        raise CycleError(_("Укажите код и название показателя."))
    if unit not in UNITS:
        raise CycleError(_("Неизвестная единица измерения."))
    if unit == "score" and not max_value:
        raise CycleError(_("Для показателя в баллах укажите максимальный балл."))


def _text_or_none(value: str | None) -> str | None:
    return (value or "").strip() or None


# --- values ------------------------------------------------------------------------------------


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
    parsed = _parsed_values(organization, values)
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


def _parsed_values(
    organization: Organization, values: dict[Indicator, Any]
) -> dict[Indicator, Decimal]:
    """The given values read; any wrong one refuses them all, with every wrong row named."""
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
    return parsed


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


def submit_campaign_values(
    session: Session,
    actor: User,
    campaign: MonitoringCampaign,
    organization: Organization,
    values: dict[Indicator, Any],
) -> list[Measurement]:
    """A school's values for the campaign; once all are given, its assignment is reported."""
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
    _report_when_complete(session, actor, campaign, organization, assignment)
    return saved


def _report_when_complete(
    session: Session,
    actor: User,
    campaign: MonitoringCampaign,
    organization: Organization,
    assignment: Assignment,
) -> None:
    """Once every value of the campaign is in, the school's assignment is reported (and accepted
    at once unless the campaign asks a person to accept it)."""
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


def close_campaign(session: Session, actor: User, campaign: MonitoringCampaign) -> None:
    _require(actor, "cycle.manage", campaign.organization)
    campaign.status = CampaignStatus.CLOSED
    session.flush()
    audit.record(actor, "cycle.campaign_closed", campaign)


# --- analysis ----------------------------------------------------------------------------------


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
    _check_review(verdict, bool(decisions) or indicator is not None, period_before, period_after)
    review = EffectivenessReview(
        organization_id=department.id,
        direction_id=direction_id or (indicator.direction_id if indicator else None),
        indicator_id=indicator.id if indicator else None,
        period_before=period_before,
        period_after=period_after,
        verdict=verdict,
        comment=_text_or_none(comment),
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


def _check_review(
    verdict: str, has_subject: bool, period_before: str | None, period_after: str | None
) -> None:
    if verdict not in VERDICT_LABELS:
        raise CycleError(_("Выберите вывод: эффективно, частично или неэффективно."))
    if not has_subject:
        raise CycleError(_("Выберите решения или показатель, эффективность которых оценивается."))
    for period in (period_before, period_after):
        if period:
            check_period(period)
    if period_before and period_after and period_after <= period_before:
        raise CycleError(_("Период «после» должен быть позже периода «до»."))
