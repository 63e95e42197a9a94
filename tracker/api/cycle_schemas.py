"""API schemas of the management cycle: they validate requests, shape answers and feed the
OpenAPI document.

Decimal values (indicator values, targets, thresholds, maximum scores) are sent and returned as
strings with a decimal point and no trailing zeros: «85.5», «100», never 85.5 or «85,5000».
Requests accept a string or a number; a value of an indicator also accepts what a school writes
(«85,5», «85 %», «да»/«нет»), checked against the indicator's unit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import ClassVar

from marshmallow import Schema, fields, validate

from tracker.api.schemas import Id
from tracker.core.models import MAX_ID
from tracker.cycle.models import BETTER, CYCLE_STAGES, FRAMEWORKS, UNITS, VERDICTS

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
