"""Marshmallow schemas: they validate requests, shape answers and feed the OpenAPI document."""

from enum import StrEnum

from marshmallow import Schema, fields, validate

from tracker.assignments.models import AssignmentStatus
from tracker.core.models import MAX_ID
from tracker.meetings.models import MEETING_KINDS
from tracker.roadmaps.models import ActionStatus, RoadMapStatus, VersionState

MAX_OFFSET = 10_000  # deeper pages go by after_id (an offset makes the server skip every row)


def one_of(states: type[StrEnum]) -> validate.OneOf:
    """A state field's values, from the model's enum (also listed in the OpenAPI schema)."""
    return validate.OneOf([state.value for state in states])


class Id(fields.Int):
    """An object's id: a positive 32-bit integer; any other number names nothing (422)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)


class OrganizationSchema(Schema):
    id = fields.Int(dump_only=True)
    parent_id = Id(allow_none=True)
    kind = fields.Str()
    short_name = fields.Str()
    full_name = fields.Str()
    municipality = fields.Str(allow_none=True)
    email = fields.Str(allow_none=True)
    timezone = fields.Str()


class OrganizationQuerySchema(Schema):
    q = fields.Str(load_default=None, metadata={"description": "Часть наименования"})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=500))


class MembershipSchema(Schema):
    organization_id = Id()
    organization = fields.Function(lambda m: m.organization.short_name)
    role = fields.Str()


class MeSchema(Schema):
    id = fields.Int()
    email = fields.Str()
    full_name = fields.Str()
    position = fields.Str(allow_none=True)
    memberships = fields.List(fields.Nested(MembershipSchema))


class ErrorSchema(Schema):
    code = fields.Int()
    status = fields.Str()
    message = fields.Str()
    errors = fields.Dict()


class AgendaItemSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    speaker = fields.Str(load_default=None, allow_none=True)
    heard = fields.Str(load_default=None, allow_none=True)


class MeetingSchema(Schema):
    id = fields.Int(dump_only=True)
    organization_id = Id(required=True)
    kind = fields.Str(
        load_default="protocol",
        validate=validate.OneOf(list(MEETING_KINDS)),
    )
    number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    held_on = fields.Date(required=True)
    time_text = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=60))
    place = fields.Str(load_default=None, allow_none=True)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=2000))
    topic = fields.Str(load_default=None, allow_none=True)
    chair = fields.Str(load_default=None, allow_none=True)
    secretary = fields.Str(load_default=None, allow_none=True)
    attendees = fields.Str(load_default=None, allow_none=True)
    agenda = fields.List(fields.Nested(AgendaItemSchema), load_default=list)


class MeetingListSchema(Schema):
    id = fields.Int()
    organization_id = Id()
    kind = fields.Str()
    number = fields.Str(allow_none=True)
    held_on = fields.Date()
    title = fields.Str()


class DeadlineSchema(Schema):
    text = fields.Str(attribute="deadline_text")
    kind = fields.Str(attribute="deadline_kind")
    date = fields.Date(attribute="due_date", allow_none=True)
    rule = fields.Str(attribute="deadline_rule", allow_none=True)
    offset_days = fields.Int(attribute="deadline_offset_days", allow_none=True)
    event = fields.Str(attribute="deadline_event", allow_none=True)
    event_date = fields.Date(allow_none=True)


class AssignmentSchema(Schema):
    id = fields.Int()
    decision_id = Id()
    meeting_id = fields.Function(lambda a: a.decision.meeting_id)
    organization_id = Id()
    organization = fields.Function(lambda a: a.organization.short_name)
    assignee_id = Id(allow_none=True)
    executor_role = fields.Str()
    status = fields.Str(validate=one_of(AssignmentStatus))
    # Set by the resource (`mark_overdue`), as of now or of the `at` date asked for.
    overdue = fields.Bool(attribute="overdue_flag")
    due_date = fields.Date(allow_none=True)
    original_due_date = fields.Date(allow_none=True)
    extension_count = fields.Int()
    deadline_text = fields.Function(lambda a: a.decision.deadline_text)
    reported_at = fields.DateTime(allow_none=True)
    done_at = fields.DateTime(allow_none=True)
    on_time = fields.Bool(allow_none=True)


class DecisionSchema(Schema):
    id = fields.Int()
    parent_id = Id(allow_none=True)
    number = fields.Str(allow_none=True)
    section = fields.Str(allow_none=True)
    text = fields.Str()
    executor_group = fields.Str(allow_none=True)
    controller_id = Id(allow_none=True)
    direction_id = Id(allow_none=True)
    cycle_stage = fields.Str(allow_none=True)
    needs_report = fields.Bool(
        metadata={"description": "false: решение без отчёта («принять к сведению», «утвердить»)"}
    )
    deadline = fields.Function(lambda d: DeadlineSchema().dump(d))
    # Only the assignments the user may see (set by the resource).
    assignments = fields.List(fields.Nested(AssignmentSchema), attribute="visible_assignments")


class MeetingDetailSchema(MeetingSchema):
    decisions = fields.List(fields.Nested(DecisionSchema), attribute="visible_decisions")


class ExecutorSchema(Schema):
    organization_id = Id(load_default=None)
    user_id = Id(load_default=None)


class DecisionCreateSchema(Schema):
    number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    parent_id = Id(load_default=None, allow_none=True)
    section = fields.Str(load_default=None, allow_none=True)
    text = fields.Str(required=True, validate=validate.Length(min=1, max=20000))
    executors = fields.List(
        fields.Nested(ExecutorSchema),
        load_default=list,
        metadata={"description": "[{organization_id}] или [{user_id}]: по поручению каждому"},
    )
    lead_organization_id = Id(load_default=None, allow_none=True)
    executor_group = fields.Str(load_default=None, allow_none=True)
    controller_id = Id(load_default=None, allow_none=True)
    direction_id = Id(load_default=None, allow_none=True)
    cycle_stage = fields.Str(load_default=None, allow_none=True)
    deadline = fields.Str(
        load_default="",
        metadata={"description": "Срок словами протокола: «в срок до 27.02.2023», «постоянно» …"},
    )
    event_date = fields.Date(load_default=None, allow_none=True)


class AssignmentQuerySchema(Schema):
    status = fields.Str(
        load_default=None,
        validate=one_of(AssignmentStatus),
    )
    organization_id = Id(load_default=None)
    meeting_id = Id(load_default=None)
    overdue = fields.Bool(load_default=False)
    at = fields.Date(load_default=None, metadata={"description": "Просрочка на эту дату"})
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=1000))
    after_id = Id(
        load_default=None,
        metadata={
            "description": "Следующая страница: поручения с id больше этого (id последней "
            "строки предыдущей страницы)"
        },
    )
    offset = fields.Int(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_OFFSET),
        metadata={"description": f"Не больше {MAX_OFFSET}; дальше листайте по after_id"},
    )


class ReportSchema(Schema):
    text = fields.Str(required=True, validate=validate.Length(min=1, max=20000))


class CommentSchema(Schema):
    comment = fields.Str(load_default=None, allow_none=True)


class ExtensionSchema(Schema):
    proposed_date = fields.Date(required=True)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=5000))


# --- protocol reading (POST /protocols/parse): the reader's JSON as is ----------------------


class ProtocolParseSchema(Schema):
    organization_id = Id(
        required=True,
        metadata={
            "description": "Орган управления образованием: по его справочнику ищутся исполнители"
        },
    )
    text = fields.Str(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Текст протокола (не больше 10 МБ)"},
    )


class ProtocolUploadSchema(Schema):
    organization_id = Id(required=True)
    file = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": ".docx, .odt или .txt"},
    )


class ProtocolAttendeeSchema(Schema):
    name = fields.Str(allow_none=True, required=True)
    position = fields.Str(allow_none=True, required=True)
    organization_id = Id(allow_none=True, required=True)
    text = fields.Str(required=True)


class ProtocolAgendaItemSchema(Schema):
    number = fields.Str(allow_none=True, required=True)
    title = fields.Str(required=True)
    speaker = fields.Str(allow_none=True, required=True)
    heard = fields.Str(allow_none=True, required=True)


class ProtocolCandidateSchema(Schema):
    organization_id = Id(required=True)
    name = fields.Str(required=True)
    score = fields.Float(required=True, metadata={"description": "Сходство 0–100"})


class ProtocolExecutorSchema(Schema):
    text = fields.Str(required=True, metadata={"description": "Исполнитель словами протокола"})
    organization_id = Id(
        allow_none=True, required=True, metadata={"description": "Найденная организация"}
    )
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(["organization", "group", "ambiguous", "person", "unmatched"]),
    )
    candidates = fields.List(fields.Nested(ProtocolCandidateSchema), required=True)


class ProtocolDeadlineSchema(Schema):
    kind = fields.Str(
        required=True,
        validate=validate.OneOf(["date", "month", "ongoing", "recurring", "relative", "none"]),
    )
    date = fields.Str(allow_none=True, required=True, metadata={"format": "date"})
    text = fields.Str(required=True, metadata={"description": "Срок, как написано"})
    rule = fields.Str(allow_none=True, required=True, metadata={"description": "RFC 5545 RRULE"})
    offset_days = fields.Int(allow_none=True, required=True)
    event = fields.Str(allow_none=True, required=True)


class ProtocolDecisionSchema(Schema):
    number = fields.Str(allow_none=True, required=True)
    parent = fields.Str(
        allow_none=True,
        required=True,
        metadata={"description": "Номер родителя или путь «1.2/3» для пункта без номера"},
    )
    section = fields.Str(allow_none=True, required=True)
    text = fields.Str(required=True)
    executors = fields.List(fields.Nested(ProtocolExecutorSchema), required=True)
    executor_group = fields.Str(allow_none=True, required=True)
    deadline = fields.Nested(ProtocolDeadlineSchema, allow_none=True, required=True)
    needs_report = fields.Bool(
        required=True,
        metadata={
            "description": "false: заголовок, «принять к сведению», «утвердить …», контроль — "
            "поручений не будет"
        },
    )
    warnings = fields.List(
        fields.Str(), required=True, metadata={"description": "Что в пункте не прочитано"}
    )


class ProtocolReadingSchema(Schema):
    kind = fields.Str(
        allow_none=True,
        required=True,
        validate=validate.OneOf(list(MEETING_KINDS)),
        metadata={"description": "Вид совещания, которым станет документ"},
    )
    document = fields.Str(
        allow_none=True,
        required=True,
        validate=validate.OneOf(
            [
                "protocol",
                "extract",
                "reference",
                "order",
                "prikaz",
                "resolution",
                "decision",
                "plan",
            ]
        ),
        metadata={
            "description": "Вид документа: протокол, выписка, справка, распоряжение (order), "
            "приказ (prikaz), постановление (resolution), решение (decision), план (plan)"
        },
    )
    number = fields.Str(allow_none=True, required=True)
    date = fields.Str(allow_none=True, required=True, metadata={"format": "date"})
    title = fields.Str(allow_none=True, required=True)
    place = fields.Str(allow_none=True, required=True)
    chair = fields.Str(allow_none=True, required=True)
    secretary = fields.Str(allow_none=True, required=True)
    controller = fields.Str(
        allow_none=True,
        required=True,
        metadata={"description": "«Контроль … возложить на …»: кто контролирует исполнение"},
    )
    attendees = fields.List(fields.Nested(ProtocolAttendeeSchema), required=True)
    agenda = fields.List(fields.Nested(ProtocolAgendaItemSchema), required=True)
    decisions = fields.List(fields.Nested(ProtocolDecisionSchema), required=True)
    warnings = fields.List(fields.Str(), required=True)


# --- road maps -------------------------------------------------------------------------------


class RoadMapActionSchema(Schema):
    id = fields.Int(dump_only=True)
    position = fields.Int(dump_only=True)
    parent_id = Id(dump_only=True, allow_none=True)
    number = fields.Str(allow_none=True)
    text = fields.Str()
    deadline = fields.Function(
        lambda a: {
            "text": a.deadline_text,
            "kind": a.deadline_kind,
            "date": a.due_date.isoformat() if a.due_date else None,
        },
        dump_only=True,
    )
    responsible = fields.Str(allow_none=True)
    expected_result = fields.Str(allow_none=True)
    target_value = fields.Str(allow_none=True)
    resources = fields.Str(allow_none=True)
    status = fields.Str(dump_only=True, validate=one_of(ActionStatus))
    completed_on = fields.Date(dump_only=True, allow_none=True)
    evidence = fields.Str(dump_only=True, allow_none=True)


class RoadMapSchema(Schema):
    id = fields.Int(dump_only=True)
    organization_id = Id(required=True)
    organization = fields.Function(lambda m: m.organization.short_name, dump_only=True)
    assignment_id = Id(allow_none=True, load_default=None)
    title = fields.Str(required=True, validate=validate.Length(min=1, max=1000))
    period_start = fields.Date(allow_none=True, load_default=None)
    period_end = fields.Date(allow_none=True, load_default=None)
    direction_id = Id(allow_none=True, load_default=None)
    status = fields.Str(dump_only=True, validate=one_of(RoadMapStatus))
    approved_at = fields.DateTime(dump_only=True, allow_none=True)
    progress = fields.Function(
        lambda m: m.progress_payload if hasattr(m, "progress_payload") else None, dump_only=True
    )


class RoadMapDetailSchema(RoadMapSchema):
    actions = fields.List(fields.Nested(RoadMapActionSchema), dump_only=True)


class RoadMapRowSchema(Schema):
    id = fields.Int(load_default=None, allow_none=True)
    level = fields.Int(load_default=0, validate=validate.Range(min=0, max=5))
    number = fields.Str(load_default=None, allow_none=True)
    text = fields.Str(required=True)
    deadline_text = fields.Str(load_default="")
    responsible = fields.Str(load_default=None, allow_none=True)
    expected_result = fields.Str(load_default=None, allow_none=True)
    target_value = fields.Str(load_default=None, allow_none=True)
    resources = fields.Str(load_default=None, allow_none=True)
    dropped = fields.Bool(load_default=False)


class RoadMapActionsSchema(Schema):
    actions = fields.List(
        fields.Nested(RoadMapRowSchema), required=True, validate=validate.Length(max=500)
    )


class RoadMapReviewSchema(Schema):
    comment = fields.Str(load_default=None, allow_none=True)
    action_comments = fields.Dict(
        keys=fields.Int(),
        values=fields.Str(),
        load_default=dict,
        metadata={"description": "id мероприятия → замечание"},
    )


class RoadMapMarkSchema(Schema):
    status = fields.Str(
        required=True,
        validate=validate.OneOf(
            [s.value for s in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.DONE)]
        ),
    )
    completed_on = fields.Date(load_default=None, allow_none=True)
    evidence = fields.Str(load_default=None, allow_none=True)


class RoadMapVersionSchema(Schema):
    number = fields.Int()
    state = fields.Str(validate=one_of(VersionState))
    submitted_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)
    review_comment = fields.Str(allow_none=True)
    action_comments = fields.Dict()
    snapshot = fields.Dict()


class InboxRowSchema(Schema):
    kind = fields.Str(metadata={"description": "report, extension, overdue, due, returned, …"})
    object_id = fields.Int(metadata={"description": "the assignment, request, map or campaign"})
    title = fields.Str()
    detail = fields.Str()
    link = fields.Str(metadata={"description": "the page to open, a path inside the app"})
    due_date = fields.Date(allow_none=True)
    state = fields.Str(allow_none=True)


class InboxSectionSchema(Schema):
    key = fields.Str()
    title = fields.Function(lambda s: str(s.title))
    count = fields.Int(metadata={"description": "all items; `items` holds the first ten"})
    items = fields.List(fields.Nested(InboxRowSchema), attribute="rows")


class InboxSchema(Schema):
    role = fields.Str(metadata={"description": "staff or school"})
    total = fields.Int()
    sections = fields.List(fields.Nested(InboxSectionSchema))
