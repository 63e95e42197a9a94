"""The assignments' forms, and the board's filter read from a request (its choices limited to
what the user may see)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.assignments import queries, services
from tracker.core.forms import Form, LongSelect
from tracker.core.permissions import visible_to
from tracker.core.tenancy import Organization
from tracker.cycle.models import Direction
from tracker.extensions import db
from tracker.meetings.models import Meeting


class ReportForm(Form):
    text = TextAreaField(_l("Что сделано"), validators=[DataRequired(), Length(max=20000)])
    files = MultipleFileField(_l("Файлы (PDF, DOCX, XLSX, ODT, JPG, PNG …)"))


class CommentForm(Form):
    body = TextAreaField(_l("Комментарий"), validators=[DataRequired(), Length(max=5000)])


class ReviewForm(Form):
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])


class ExtensionForm(Form):
    proposed_date = DateField(_l("Новый срок"), validators=[DataRequired()])
    reason = TextAreaField(_l("Причина"), validators=[DataRequired(), Length(max=5000)])


class ExtensionDecisionForm(Form):
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])


class BoardFilterForm(Form):
    """GET filters of the control board (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    meeting_id = SelectField(_l("Совещание"), coerce=int, validators=[Optional()])
    direction_id = SelectField(_l("Направление"), coerce=int, validators=[Optional()])
    organization_id = SelectField(
        _l("Организация"), coerce=int, validators=[Optional()], widget=LongSelect()
    )
    status = SelectField(_l("Состояние"), validators=[Optional()])
    due_within = IntegerField(
        _l("Срок в ближайшие, дней"), validators=[Optional(), NumberRange(0, 3650)]
    )
    q = StringField(
        _l("Поиск по тексту решений и отчётов"), validators=[Optional(), Length(max=200)]
    )
    at = DateField(_l("На дату"), validators=[Optional()])
    period_start = DateField(_l("Сроки с"), validators=[Optional()])
    period_end = DateField(_l("по"), validators=[Optional()])
    due_period = SelectField(
        _l("Срок"),
        choices=[
            ("", _l("— любой —")),
            ("overdue", _l("просрочено")),
            ("week", _l("в ближайшие 7 дней")),
            ("month", _l("в ближайшие 30 дней")),
            ("later", _l("позже чем через 30 дней")),
            ("none", _l("без срока")),
        ],
        validators=[Optional()],
    )
    tab = SelectField(
        _l("Вкладка"),
        choices=[("", _l("все")), ("open", _l("в работе")), ("done", _l("исполненные"))],
        validators=[Optional()],
    )
    group = SelectField(
        _l("Порядок"),
        choices=[("", _l("по сроку")), ("decision", _l("по совещаниям и решениям"))],
        validators=[Optional()],
    )


class SavedFilterForm(Form):
    name = StringField(_l("Название фильтра"), validators=[DataRequired(), Length(max=80)])


class BulkForm(Form):
    """One action on the rows ticked on the board or in the inbox (their ids come as `ids`)."""

    action = SelectField(_l("Действие с отмеченными"), validators=[DataRequired()])
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])
    new_date = DateField(_l("Новый срок"), validators=[Optional()])


STATUS_CHOICES = [
    ("", _l("— все —")),
    ("overdue", _l("просрочено")),
    ("extension_pending", _l("просят перенести срок")),
] + [(k, v) for k, v in services.STATE_LABELS.items()]


def board_filter_from_request(
    default_tab: str | None = None,
) -> tuple[BoardFilterForm, queries.BoardFilter]:
    form = BoardFilterForm(request.args)
    _board_choices(form)
    form.status.choices = STATUS_CHOICES
    if request.args and not form.validate():
        flash(_("Фильтр содержит ошибки; показаны все поручения."), "warning")
        return form, queries.BoardFilter(tab=default_tab)
    return form, _board_filter(form, default_tab)


def _board_filter(form: BoardFilterForm, default_tab: str | None) -> queries.BoardFilter:
    return queries.BoardFilter(
        tab=form.tab.data or (None if "tab" in request.args else default_tab),
        due_period=form.due_period.data or None,
        group=form.group.data or None,
        meeting_id=form.meeting_id.data or None,
        direction_id=form.direction_id.data or None,
        organization_id=form.organization_id.data or None,
        status=form.status.data or None,
        due_within=form.due_within.data,
        q=form.q.data or None,
        at=form.at.data,
        period_start=form.period_start.data,
        period_end=form.period_end.data,
    )


def _board_choices(form: BoardFilterForm) -> None:
    # Only what the choices show: a region's staff choose among a thousand organizations.
    meetings = db.session.execute(
        sa.select(Meeting.id, Meeting.held_on, Meeting.title)
        .where(visible_to(current_user, Meeting))
        .order_by(Meeting.held_on.desc())
    ).all()
    organizations = db.session.execute(
        sa.select(Organization.id, Organization.short_name)
        .where(visible_to(current_user, Organization), Organization.kind != "region")
        .order_by(Organization.short_name)
    ).all()
    directions = db.session.scalars(sa.select(Direction).order_by(Direction.position)).all()
    form.meeting_id.choices = [(0, _("— все —"))] + [
        (m.id, f"{m.held_on:%d.%m.%Y} {m.title[:60]}") for m in meetings
    ]
    form.organization_id.choices = [(0, _("— все —"))] + [
        (o.id, o.short_name) for o in organizations
    ]
    form.direction_id.choices = [(0, _("— все —"))] + [
        (d.id, f"{d.framework_label}: {d.name[:70]}") for d in directions
    ]
