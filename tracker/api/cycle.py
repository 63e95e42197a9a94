"""API: the management cycle (directions, indicators, values, analyses, effectiveness reviews and
the cycle board), through the same services and permission filter as the pages.

Decimal values are strings with a decimal point («85.5»): see `cycle_schemas`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy.orm import selectinload

from tracker.api import authenticate_request
from tracker.api.cycle_schemas import (
    AnalysisCreateSchema,
    AnalysisDetailSchema,
    AnalysisQuerySchema,
    AnalysisSchema,
    BoardQuerySchema,
    BoardSchema,
    DirectionQuerySchema,
    DirectionSchema,
    IndicatorCreateSchema,
    IndicatorDetailSchema,
    IndicatorQuerySchema,
    IndicatorSchema,
    MeasurementQuerySchema,
    MeasurementSchema,
    MeasurementSubmitSchema,
    ReviewCreateSchema,
    ReviewQuerySchema,
    ReviewSchema,
)
from tracker.core import clock
from tracker.core.audit import record_denied
from tracker.core.permissions import get_visible_or_404, visible_to
from tracker.core.tenancy import Organization
from tracker.cycle import board, queries, services
from tracker.cycle.models import (
    CYCLE_STAGES,
    Analysis,
    Direction,
    EffectivenessReview,
    Indicator,
    Measurement,
    MonitoringCampaign,
)
from tracker.cycle.values import STAGE_LABELS
from tracker.extensions import db
from tracker.meetings.models import Decision

blp = Blueprint(
    "api_cycle",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Управленческий цикл: направления, показатели, значения, анализ и рекомендации, "
        "анализ эффективности. Десятичные значения — строки с точкой: «85.5»."
    ),
)
blp.before_request(authenticate_request)


# --- helpers -----------------------------------------------------------------------------------


def _organization(organization_id: int) -> Organization:
    return get_visible_or_404(g.api_user, Organization, organization_id)


# --- directions and indicators -----------------------------------------------------------------


@blp.route("/directions")
@blp.arguments(DirectionQuerySchema, location="query")
@blp.response(200, DirectionSchema(many=True))
def list_directions(args):
    """Directions of МУМ and ВСОКО.

    Every direction (track) of the management mechanisms (МУМ) and of ВСОКО, in model order;
    `framework` narrows the list to one model. Visible to every user."""
    query = sa.select(Direction).order_by(Direction.framework, Direction.position, Direction.id)
    if args["framework"]:
        query = query.where(Direction.framework == args["framework"])
    return db.session.scalars(query).all()


@blp.route("/indicators")
@blp.arguments(IndicatorQuerySchema, location="query")
@blp.response(200, IndicatorSchema(many=True))
def list_indicators(args):
    """Indicators the user may see.

    Staff see their departments' indicators; a school sees those of the monitoring
    collections it is asked to give values for. `direction_id` narrows the list."""
    query = (
        sa.select(Indicator)
        .where(visible_to(g.api_user, Indicator))
        .options(selectinload(Indicator.organizations))
        .order_by(Indicator.organization_id, Indicator.code)
    )
    if args["direction_id"] is not None:
        query = query.where(Indicator.direction_id == args["direction_id"])
    return db.session.scalars(query).all()


@blp.route("/indicators", methods=["POST"])
@blp.arguments(IndicatorCreateSchema)
@blp.response(201, IndicatorSchema)
def create_indicator(data):
    """Create an indicator of a department.

    Department staff only. `unit`: number, percent (0–100), bool (да/нет) or score (requires
    `max_value`); `better` says which way is better; `threshold_value` marks a school at risk.
    Decimals are strings («85.5») or numbers. 403 without the right, 422 with the reason."""
    department = _organization(data.pop("organization_id"))
    organizations = [
        _organization(org_id) for org_id in dict.fromkeys(data.pop("organization_ids"))
    ]
    indicator = services.create_indicator(
        db.session, g.api_user, department, organizations=organizations, **data
    )
    db.session.commit()
    return indicator


@blp.route("/indicators/<int:indicator_id>")
@blp.response(200, IndicatorDetailSchema)
def get_indicator(indicator_id: int):
    """One indicator with its values by organization.

    `by_school` lists the periods and, per organization, its values (strings, «85.5») and
    whether its latest value is at risk — only the values the user may see (a director, their
    school's)."""
    indicator = get_visible_or_404(g.api_user, Indicator, indicator_id)
    department = db.session.get(Organization, indicator.organization_id)
    periods, rows = queries.indicator_by_school(db.session, g.api_user, indicator, department)
    indicator.by_school_payload = {
        "periods": periods,
        "rows": [
            {
                "organization_id": row.organization.id,
                "organization": row.organization.short_name,
                "values": row.values,
                "at_risk": row.at_risk,
            }
            for row in rows
        ],
    }
    return indicator


# --- values ------------------------------------------------------------------------------------


@blp.route("/measurements")
@blp.arguments(MeasurementQuerySchema, location="query")
@blp.response(200, MeasurementSchema(many=True))
def list_measurements(args):
    """Indicator values the user may see.

    Filtered by the permission filter (a director sees their school's values only) and by
    `indicator_id`, `organization_id`, `period`. Values are strings («85.5»)."""
    query = (
        sa.select(Measurement)
        .where(visible_to(g.api_user, Measurement))
        .options(selectinload(Measurement.indicator), selectinload(Measurement.organization))
        .order_by(
            Measurement.indicator_id,
            Measurement.period,
            Measurement.organization_id,
            Measurement.id,
        )
    )
    for key in ("indicator_id", "organization_id", "period"):
        if args[key] is not None:
            query = query.where(getattr(Measurement, key) == args[key])
    return db.session.scalars(query.limit(args["limit"]).offset(args["offset"])).all()


@blp.route("/measurements", methods=["POST"])
@blp.arguments(MeasurementSubmitSchema)
@blp.response(200, MeasurementSchema(many=True))
def submit_measurements(data):
    """Submit one organization's values for a period.

    All or nothing: a value already given for the indicator, organization and period is
    replaced; an empty value or null is «not given» and leaves what is stored. Any wrong value
    refuses the whole request with 422, `message` naming the first and `errors`
    {indicator id: problem} every one. An organization or indicator the user cannot see is
    404; one they see but may not give values for is 403. With `campaign_id` the values go to
    that monitoring collection, and the organization's assignment is reported once all its
    values are given. Returns the values saved."""
    organization = _organization(data["organization_id"])
    campaign = (
        get_visible_or_404(g.api_user, MonitoringCampaign, data["campaign_id"])
        if data["campaign_id"]
        else None
    )
    values = _posted_values(data["values"])
    period = (data["period"] or "").strip()
    if campaign is not None:
        if period and period != campaign.period:
            abort(
                422,
                description=_(
                    "Период мониторинга — %(period)s, а не %(given)s.",
                    period=campaign.period,
                    given=period,
                ),
            )
        saved = services.submit_campaign_values(
            db.session, g.api_user, campaign, organization, values
        )
    else:
        saved = services.save_values(db.session, g.api_user, organization, period, values)
    db.session.commit()
    return saved


def _posted_values(rows: list[dict]) -> dict[Indicator, Any]:
    """Indicator → value as posted: an indicator twice is 422, one the user cannot see 404."""
    ids = [row["indicator_id"] for row in rows]
    if len(set(ids)) != len(ids):
        abort(422, description=_("Показатель указан дважды."))
    indicators = {
        i.id: i
        for i in db.session.scalars(
            sa.select(Indicator).where(Indicator.id.in_(ids), visible_to(g.api_user, Indicator))
        )
    }
    unseen = [i for i in ids if i not in indicators]
    if unseen:
        record_denied(g.api_user, "indicators", unseen[0], "view")
        abort(404)
    return {indicators[row["indicator_id"]]: row["value"] for row in rows}


# --- analysis and recommendations --------------------------------------------------------------


@blp.route("/analyses")
@blp.arguments(AnalysisQuerySchema, location="query")
@blp.response(200, AnalysisSchema(many=True))
def list_analyses(args):
    """Analyses the user may see.

    Analyses of the departments the user may see, newest first; `direction_id` and
    `indicator_id` narrow the list. Recommendations are in the single analysis."""
    query = (
        sa.select(Analysis)
        .where(visible_to(g.api_user, Analysis))
        .options(selectinload(Analysis.organization))
        .order_by(Analysis.created_at.desc(), Analysis.id.desc())
    )
    for key in ("direction_id", "indicator_id"):
        if args[key] is not None:
            query = query.where(getattr(Analysis, key) == args[key])
    return db.session.scalars(query).all()


@blp.route("/analyses/<int:analysis_id>")
@blp.response(200, AnalysisDetailSchema)
def get_analysis(analysis_id: int):
    """One analysis with its recommendations.

    Each addressed recommendation carries `decision_id`, the decision taken on it (or null)."""
    return get_visible_or_404(g.api_user, Analysis, analysis_id)


@blp.route("/analyses", methods=["POST"])
@blp.arguments(AnalysisCreateSchema)
@blp.response(201, AnalysisDetailSchema)
def create_analysis(data):
    """Record an analysis with addressed recommendations.

    Department staff only. Each recommendation is addressed to a school of the department or
    to the department itself; `period` as for values (2023, 2023-Q1 …)."""
    department = _organization(data["organization_id"])
    if data["indicator_id"] is not None:
        get_visible_or_404(g.api_user, Indicator, data["indicator_id"])
    recommendations = [
        (_organization(row["organization_id"]), row["text"]) for row in data["recommendations"]
    ]
    analysis = services.create_analysis(
        db.session,
        g.api_user,
        department,
        title=data["title"],
        text=data["text"],
        direction_id=data["direction_id"],
        indicator_id=data["indicator_id"],
        period=(data["period"] or "").strip() or None,
        recommendations=recommendations,
    )
    db.session.commit()
    return analysis


# --- effectiveness -----------------------------------------------------------------------------


@blp.route("/reviews")
@blp.arguments(ReviewQuerySchema, location="query")
@blp.response(200, ReviewSchema(many=True))
def list_reviews(args):
    """Effectiveness reviews the user may see.

    Reviews of the departments the user may see, newest first; `direction_id` and
    `indicator_id` narrow the list."""
    query = (
        sa.select(EffectivenessReview)
        .where(visible_to(g.api_user, EffectivenessReview))
        .options(
            selectinload(EffectivenessReview.organization),
            selectinload(EffectivenessReview.decisions),
        )
        .order_by(EffectivenessReview.reviewed_at.desc(), EffectivenessReview.id.desc())
    )
    for key in ("direction_id", "indicator_id"):
        if args[key] is not None:
            query = query.where(getattr(EffectivenessReview, key) == args[key])
    return db.session.scalars(query).all()


@blp.route("/reviews/<int:review_id>")
@blp.response(200, ReviewSchema)
def get_review(review_id: int):
    """One effectiveness review.

    With the figures as they stood when the verdict was given (values move on afterwards)."""
    return get_visible_or_404(g.api_user, EffectivenessReview, review_id)


@blp.route("/reviews", methods=["POST"])
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
def create_review(data):
    """Record an effectiveness review (анализ эффективности принятых мер).

    Department staff only: the decisions (of the department) and/or the indicator assessed, the
    periods before and after, and the verdict (effective, partial, ineffective).
    The figures (the indicator's mean before and after, the target, how many assignments and
    road-map actions were done on time) are computed and frozen with the review."""
    department = _organization(data["organization_id"])
    decisions = [
        get_visible_or_404(g.api_user, Decision, decision_id)
        for decision_id in dict.fromkeys(data["decision_ids"])
    ]
    indicator = (
        get_visible_or_404(g.api_user, Indicator, data["indicator_id"])
        if data["indicator_id"] is not None
        else None
    )
    review = services.record_review(
        db.session,
        g.api_user,
        department,
        decisions=decisions,
        verdict=data["verdict"],
        comment=data["comment"],
        indicator=indicator,
        direction_id=data["direction_id"],
        period_before=(data["period_before"] or "").strip() or None,
        period_after=(data["period_after"] or "").strip() or None,
    )
    db.session.commit()
    return review


# --- the cycle board ---------------------------------------------------------------------------


@blp.route("/cycle")
@blp.arguments(BoardQuerySchema, location="query")
@blp.response(200, BoardSchema)
def cycle_board(args):
    """The cycle board of a department.

    For a year (this year by default): per direction, how
    many things exist at each of the six stages (goals, indicators, monitoring, analysis,
    decisions, effectiveness), counted through the permission filter, and the stages missing."""
    department = _organization(args["department_id"])
    year = args["year"] or clock.today(department.timezone).year
    rows = board.cycle_board(db.session, g.api_user, department, year)
    return {
        "department_id": department.id,
        "year": year,
        "stages": [{"key": s, "label": str(STAGE_LABELS[s])} for s in CYCLE_STAGES],
        "rows": [
            {
                "direction": row.direction,
                "cells": {
                    stage: {"count": cell.count, "detail": cell.detail, "done": cell.done}
                    for stage, cell in row.cells.items()
                },
                "missing": row.missing,
            }
            for row in rows
        ],
    }
