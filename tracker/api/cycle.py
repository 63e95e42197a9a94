"""API: the management cycle (directions, indicators, values, analyses, effectiveness reviews and
the cycle board), through the same services and permission filter as the pages.

Decimal values (indicator values, targets, thresholds, maximum scores) are sent and returned as
strings with a decimal point and no trailing zeros: «85.5», «100», never 85.5 or «85,5000».
Requests accept a string or a number; a value of an indicator also accepts what a school writes
(«85,5», «85 %», «да»/«нет»), checked against the indicator's unit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

import sqlalchemy as sa
from flask import abort, g
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from tracker.api import authenticate_request
from tracker.api.schemas import Id
from tracker.core import clock
from tracker.core.audit import record_denied
from tracker.core.models import MAX_ID
from tracker.core.permissions import get_visible_or_404, visible_to
from tracker.core.tenancy import Organization
from tracker.cycle import services
from tracker.cycle.models import (
    BETTER,
    CYCLE_STAGES,
    FRAMEWORKS,
    UNITS,
    VERDICTS,
    Analysis,
    Direction,
    EffectivenessReview,
    Indicator,
    Measurement,
    MonitoringCampaign,
)
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


# --- fields ------------------------------------------------------------------------------------


def decimal_text(value: Decimal | None) -> str | None:
    """Decimal('85.5000') → «85.5»; Decimal('100.0000') → «100»."""
    if value is None:
        return None
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class DecimalText(fields.Field):
    """A decimal as a string («85.5»); loads a number or a string (a comma is a decimal point)."""

    default_error_messages: ClassVar[dict[str, str]] = {"invalid": "Not a valid number."}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"type": "string", "format": "decimal", **kwargs["metadata"]}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return decimal_text(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not number.is_finite() or abs(number) >= Decimal("1e10"):
            raise self.make_error("invalid")
        return number


class RawValue(fields.Field):
    """A value as written: a string, a number, true/false (for «да/нет»), or null (not given)."""

    default_error_messages: ClassVar[dict[str, str]] = {
        "invalid": "Expected a string, a number or a boolean."
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return "да" if value else "нет"
        if isinstance(value, str | int | float):
            return value
        raise self.make_error("invalid")


# --- schemas -----------------------------------------------------------------------------------


class DirectionSchema(Schema):
    id = fields.Int()
    framework = fields.Str(metadata={"enum": list(FRAMEWORKS)})
    group_name = fields.Str(allow_none=True)
    name = fields.Str()
    position = fields.Int()
    declared_indicators = fields.Int(
        allow_none=True, metadata={"description": "Сколько показателей заявлено в модели"}
    )


class DirectionQuerySchema(Schema):
    framework = fields.Str(load_default=None, validate=validate.OneOf(FRAMEWORKS))


class IndicatorSchema(Schema):
    id = fields.Int()
    organization_id = Id(metadata={"description": "Орган управления, чей показатель"})
    direction_id = Id(allow_none=True)
    code = fields.Str()
    name = fields.Str()
    unit = fields.Str(metadata={"enum": list(UNITS)})
    better = fields.Str(metadata={"enum": list(BETTER)})
    max_value = DecimalText(allow_none=True)
    target_value = DecimalText(allow_none=True)
    threshold_value = DecimalText(allow_none=True)
    method = fields.Str(allow_none=True)
    source = fields.Str(allow_none=True)
    periodicity = fields.Str(allow_none=True)
    organization_ids = fields.Function(
        lambda i: [o.id for o in i.organizations],
        metadata={"type": "array", "items": {"type": "integer"}},
    )


class IndicatorCreateSchema(Schema):
    organization_id = Id(
        required=True, metadata={"description": "Орган управления, которому принадлежит показатель"}
    )
    direction_id = Id(load_default=None, allow_none=True)
    code = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    unit = fields.Str(load_default="number", validate=validate.OneOf(UNITS))
    better = fields.Str(load_default="higher", validate=validate.OneOf(BETTER))
    max_value = DecimalText(
        load_default=None, allow_none=True, metadata={"description": "Обязателен для баллов"}
    )
    target_value = DecimalText(load_default=None, allow_none=True)
    threshold_value = DecimalText(
        load_default=None,
        allow_none=True,
        metadata={"description": "Порог риска (хуже него — организация в зоне риска)"},
    )
    method = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    source = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    periodicity = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    organization_ids = fields.List(
        fields.Int(),
        load_default=list,
        metadata={"description": "Организации управления, к которым относится показатель"},
    )


class IndicatorQuerySchema(Schema):
    direction_id = Id(load_default=None)


class SchoolValuesSchema(Schema):
    organization_id = Id()
    organization = fields.Str()
    values = fields.Dict(
        keys=fields.Str(), values=DecimalText(), metadata={"description": "период → значение"}
    )
    at_risk = fields.Bool(metadata={"description": "Последнее значение хуже порога (или цели)"})


class BySchoolSchema(Schema):
    periods = fields.List(fields.Str())
    rows = fields.List(fields.Nested(SchoolValuesSchema))


class IndicatorDetailSchema(IndicatorSchema):
    by_school = fields.Nested(
        BySchoolSchema,
        attribute="by_school_payload",
        metadata={"description": "Значения по организациям, видимые пользователю"},
    )


class MeasurementSchema(Schema):
    id = fields.Int()
    indicator_id = Id()
    indicator_code = fields.Function(lambda m: m.indicator.code, metadata={"type": "string"})
    organization_id = Id()
    organization = fields.Function(lambda m: m.organization.short_name, metadata={"type": "string"})
    period = fields.Str()
    value = DecimalText()
    campaign_id = Id(allow_none=True)
    entered_by_id = Id(allow_none=True)
    entered_at = fields.DateTime()


class MeasurementQuerySchema(Schema):
    indicator_id = Id(load_default=None)
    period = fields.Str(load_default=None)
    organization_id = Id(load_default=None)
    limit = fields.Int(load_default=1000, validate=validate.Range(min=1, max=10000))
    offset = fields.Int(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


class ValueSchema(Schema):
    indicator_id = Id(required=True)
    value = RawValue(
        required=True,
        allow_none=True,
        metadata={
            "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
            "nullable": True,
            "description": "«85,5», 85.5, «85 %», «да»/«нет»; пусто или null — не представлено",
        },
    )


class MeasurementSubmitSchema(Schema):
    organization_id = Id(required=True)
    period = fields.Str(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "2023, 2023-Q1, 2023-H1, 2023-09 или 2022/2023; при campaign_id — "
            "период мониторинга"
        },
    )
    campaign_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Мониторинг, в рамках которого представлены значения: когда все "
            "значения даны, поручение организации отмечается исполненным"
        },
    )
    values = fields.List(
        fields.Nested(ValueSchema), required=True, validate=validate.Length(min=1, max=1000)
    )


class RecommendationSchema(Schema):
    id = fields.Int()
    organization_id = Id()
    organization = fields.Function(lambda r: r.organization.short_name, metadata={"type": "string"})
    text = fields.Str()
    decision_id = Id(allow_none=True, metadata={"description": "Решение, принятое по рекомендации"})


class AnalysisSchema(Schema):
    id = fields.Int()
    organization_id = Id()
    organization = fields.Function(lambda a: a.organization.short_name, metadata={"type": "string"})
    direction_id = Id(allow_none=True)
    indicator_id = Id(allow_none=True)
    period = fields.Str(allow_none=True)
    title = fields.Str()
    text = fields.Str()
    created_by_id = Id(allow_none=True)
    created_at = fields.DateTime()


class AnalysisDetailSchema(AnalysisSchema):
    recommendations = fields.List(fields.Nested(RecommendationSchema))


class RecommendationCreateSchema(Schema):
    organization_id = Id(required=True)
    text = fields.Str(required=True, validate=validate.Length(min=1, max=20000))


class AnalysisCreateSchema(Schema):
    organization_id = Id(required=True, metadata={"description": "Орган управления"})
    title = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    text = fields.Str(load_default="", validate=validate.Length(max=100000))
    direction_id = Id(load_default=None, allow_none=True)
    indicator_id = Id(load_default=None, allow_none=True)
    period = fields.Str(load_default=None, allow_none=True)
    recommendations = fields.List(
        fields.Nested(RecommendationCreateSchema),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "Адресные рекомендации: школе управления или самому управлению"},
    )


class AnalysisQuerySchema(Schema):
    direction_id = Id(load_default=None)
    indicator_id = Id(load_default=None)


class ReviewSchema(Schema):
    id = fields.Int()
    organization_id = Id()
    organization = fields.Function(lambda r: r.organization.short_name, metadata={"type": "string"})
    direction_id = Id(allow_none=True)
    indicator_id = Id(allow_none=True)
    period_before = fields.Str(allow_none=True)
    period_after = fields.Str(allow_none=True)
    verdict = fields.Str(allow_none=True, metadata={"enum": list(VERDICTS)})
    comment = fields.Str(allow_none=True)
    reviewed_by_id = Id(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    decision_ids = fields.Function(
        lambda r: sorted(d.id for d in r.decisions),
        metadata={"type": "array", "items": {"type": "integer"}},
    )
    figures = fields.Dict(
        metadata={
            "description": "Цифры на момент вывода: before/after (среднее, строка), target, "
            "target_reached, change, assignments, assignments_done, assignments_on_time, "
            "actions, actions_on_time"
        }
    )


class ReviewCreateSchema(Schema):
    organization_id = Id(required=True, metadata={"description": "Орган управления"})
    decision_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=500))
    indicator_id = Id(load_default=None, allow_none=True)
    direction_id = Id(load_default=None, allow_none=True)
    period_before = fields.Str(load_default=None, allow_none=True)
    period_after = fields.Str(load_default=None, allow_none=True)
    verdict = fields.Str(required=True, metadata={"enum": list(VERDICTS)})
    comment = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=20000))


class ReviewQuerySchema(Schema):
    direction_id = Id(load_default=None)
    indicator_id = Id(load_default=None)


class StageSchema(Schema):
    key = fields.Str(metadata={"enum": list(CYCLE_STAGES)})
    label = fields.Str()


class StageCellSchema(Schema):
    count = fields.Int()
    detail = fields.Str(metadata={"description": "«/12» заявлено показателей; «3/5» исполнено"})
    done = fields.Bool()


class BoardRowSchema(Schema):
    direction = fields.Nested(DirectionSchema)
    cells = fields.Dict(
        keys=fields.Str(), values=fields.Nested(StageCellSchema), metadata={"description": "этап →"}
    )
    missing = fields.List(fields.Str(), metadata={"description": "Этапы, где ничего нет"})


class BoardSchema(Schema):
    department_id = Id()
    year = fields.Int()
    stages = fields.List(fields.Nested(StageSchema))
    rows = fields.List(fields.Nested(BoardRowSchema))


class BoardQuerySchema(Schema):
    department_id = Id(required=True)
    year = fields.Int(load_default=None, validate=validate.Range(min=2000, max=2100))


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
    periods, rows = services.indicator_by_school(db.session, g.api_user, indicator, department)
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
    ids = [row["indicator_id"] for row in data["values"]]
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
    values = {indicators[row["indicator_id"]]: row["value"] for row in data["values"]}
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
    rows = services.cycle_board(db.session, g.api_user, department, year)
    return {
        "department_id": department.id,
        "year": year,
        "stages": [{"key": s, "label": str(services.STAGE_LABELS[s])} for s in CYCLE_STAGES],
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
