"""Notification settings (every user) and the administrator's outbox, policy and calendar."""

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.core import audit, clock
from tracker.core.audit import record_denied
from tracker.core.permissions import (
    can_anywhere,
    departments_for,
    get_visible_or_404,
    visible_to,
    wholly_in_scope,
)
from tracker.core.tenancy import Organization, User
from tracker.core.urls import safe_next
from tracker.extensions import db
from tracker.notify import services
from tracker.notify.events import event_mail, mark_read, unread_count
from tracker.notify.forms import CalendarDayForm, OutboxFilterForm, PolicyForm, SettingsForm
from tracker.notify.models import (
    OUTBOX_STATE_LABELS,
    CalendarDay,
    Notification,
    OutboxMessage,
    OutboxState,
    ReminderPolicy,
)
from tracker.notify.reminders import notify_mode, policy_for, preview

bp = Blueprint("notify", __name__)
bp.add_app_template_global(OutboxState, "OutboxState")
bp.add_app_template_global(OUTBOX_STATE_LABELS, "outbox_state_labels")


@bp.before_request
@login_required
def authenticated():
    pass


def admin_only() -> None:
    if not can_anywhere(current_user, "user.manage"):
        record_denied(current_user, None, None, "admin")
        abort(403)


@bp.route("/settings/notifications", methods=["GET", "POST"])
def settings():
    form = SettingsForm(notify_mode=notify_mode(current_user), event_mail=event_mail(current_user))
    if form.validate_on_submit():
        current_user.notify_mode = form.notify_mode.data
        current_user.event_mail = form.event_mail.data
        audit.record(
            current_user,
            "user.notify_mode",
            current_user,
            mode=form.notify_mode.data,
            events=form.event_mail.data,
        )
        db.session.commit()
        flash(_("Настройки уведомлений сохранены."), "success")
        return redirect(url_for("notify.settings"))
    return render_template("notify/settings.html", form=form)


@bp.route("/notifications")
def notifications():
    rows = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(200)
    ).all()
    return render_template("notify/notifications.html", rows=rows)


@bp.route("/notifications/<int:notification_id>")
def open_notification(notification_id: int):
    """Opening a notification marks it read and leads to what it is about."""
    notification = db.session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id
        )
    )
    if notification is None:
        record_denied(current_user, "notifications", notification_id, "view")
        abort(404)
    mark_read(db.session, notification)
    db.session.commit()
    return redirect(safe_next(notification.link) or url_for("notify.notifications"))


@bp.route("/notifications/read", methods=["POST"])
def read_all():
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
    db.session.commit()
    flash(_("Все уведомления отмечены прочитанными."), "success")
    return redirect(url_for("notify.notifications"))


@bp.app_context_processor
def unread_notifications() -> dict:
    """The top bar's count of unread notifications, on every page of a signed-in user."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": unread_count(db.session, current_user)}


def visible_outbox():
    """Messages to people (or organizations) within the administrator's reach; a person who also
    holds a role in another region is not (their mail may speak of that region)."""
    people = sa.select(User.id).where(wholly_in_scope(current_user))
    # The assignments part's model, through the outbox's own relationship to it.
    assignment = OutboxMessage.assignment.property.mapper.class_
    assignments = sa.select(assignment.id).where(
        visible_to(current_user, assignment, "assignment.view")
    )
    return sa.or_(
        OutboxMessage.recipient_id.in_(people),
        sa.and_(OutboxMessage.recipient_id.is_(None), OutboxMessage.assignment_id.in_(assignments)),
    )


@bp.route("/admin/outbox")
def outbox():
    admin_only()
    form = OutboxFilterForm(request.args)
    query = sa.select(OutboxMessage).where(visible_outbox())
    if form.validate():
        if form.state.data:
            query = query.where(OutboxMessage.state == form.state.data)
        if form.recipient.data:
            query = query.where(
                sa.func.lower(OutboxMessage.recipient_email).like(
                    f"%{form.recipient.data.lower()}%"
                )
            )
    rows = db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(300)).all()
    undeliverable = db.session.scalars(
        sa.select(User).where(
            User.email_undeliverable_at.is_not(None), wholly_in_scope(current_user)
        )
    ).all()
    return render_template("notify/outbox.html", form=form, rows=rows, undeliverable=undeliverable)


def _message(message_id: int) -> OutboxMessage:
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.id == message_id, visible_outbox())
    )
    if message is None:
        record_denied(current_user, "outbox", message_id, "outbox")
        abort(404)
    return message


@bp.route("/admin/outbox/<int:message_id>/<action>", methods=["POST"])
def outbox_action(message_id: int, action: str):
    admin_only()
    message = _message(message_id)
    try:
        if action == "resend":
            services.resend(db.session, message, current_user)
        elif action == "cancel":
            services.cancel(db.session, message, current_user)
        else:
            abort(404)
    except ValueError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(_("Готово."), "success")
    return redirect(url_for("notify.outbox", **request.args))


@bp.route("/admin/users/<int:user_id>/deliverable", methods=["POST"])
def mark_deliverable(user_id: int):
    admin_only()
    user = db.session.scalar(
        sa.select(User).where(User.id == user_id, wholly_in_scope(current_user))
    )
    if user is None:
        record_denied(current_user, "users", user_id, "user.manage")
        abort(404)
    services.mark_deliverable(db.session, user, current_user)
    db.session.commit()
    flash(_("Адрес %(email)s снова используется для писем.", email=user.email), "success")
    return redirect(url_for("notify.outbox"))


def _policy_department() -> tuple[list[Organization], Organization]:
    """The departments whose reminder rules the user may edit, and the one chosen."""
    departments = departments_for(db.session, current_user, "reminders.manage")
    if not departments:
        record_denied(current_user, None, None, "reminders.manage")
        abort(403)
    chosen = request.values.get("organization_id", type=int) or departments[0].id
    return departments, get_visible_or_404(current_user, Organization, chosen, "reminders.manage")


@bp.route("/admin/reminders", methods=["GET", "POST"])
def reminders():
    departments, department = _policy_department()
    stored = db.session.scalar(
        sa.select(ReminderPolicy).where(ReminderPolicy.organization_id == department.id)
    )
    policy = stored or policy_for({}, department.id)
    form = PolicyForm(obj=policy if request.method == "GET" else None)
    if request.method == "GET":
        form.days_before.data = ", ".join(str(d) for d in policy.days_before)
        form.on_the_day.data = "1" if policy.on_the_day else "0"
    form.organization_id.choices = [(d.id, d.short_name) for d in departments]
    form.organization_id.data = department.id
    if request.method == "POST" and form.validate_on_submit():
        if stored is None:
            stored = ReminderPolicy(organization_id=department.id)
            db.session.add(stored)
        stored.days_before = form.days_before.parsed
        stored.on_the_day = form.on_the_day.data == "1"
        stored.overdue_every_days = form.overdue_every_days.data
        stored.escalate_after_days = form.escalate_after_days.data
        stored.send_hour = form.send_hour.data
        db.session.flush()
        audit.record(current_user, "reminder_policy.update", stored, organization_id=department.id)
        db.session.commit()
        flash(_("Правила напоминаний сохранены."), "success")
        return redirect(url_for("notify.reminders", organization_id=department.id))
    days = db.session.scalars(sa.select(CalendarDay).order_by(CalendarDay.day.desc())).all()
    return render_template(
        "notify/reminders.html",
        may_edit_calendar=can_anywhere(current_user, "user.manage"),
        form=form,
        department=department,
        day_form=CalendarDayForm(),
        days=days,
    )


@bp.route("/admin/reminders/preview")
def reminders_preview():
    """What the next sweep will send for the department, to whom and why."""
    _departments, department = _policy_department()
    tz = department.timezone
    day = request.args.get("day", type=date.fromisoformat)
    if day is None:
        local = clock.now().astimezone(ZoneInfo(tz))
        stored = db.session.scalar(
            sa.select(ReminderPolicy).where(ReminderPolicy.organization_id == department.id)
        )
        hour = (stored or policy_for({}, department.id)).send_hour
        day = local.date() if local.hour < hour else local.date() + timedelta(days=1)
    lines = preview(db.session, department, day)
    return render_template("notify/preview.html", department=department, day=day, lines=lines)


@bp.route("/admin/calendar", methods=["POST"])
def calendar_day():
    admin_only()
    form = CalendarDayForm()
    if not form.validate_on_submit():
        flash(_("Укажите дату в формате ДД.ММ.ГГГГ и тип дня."), "danger")
        return redirect(url_for("notify.reminders"))
    existing = db.session.scalar(sa.select(CalendarDay).where(CalendarDay.day == form.day.data))
    row = existing or CalendarDay(day=form.day.data)
    row.kind, row.note = form.kind.data, form.note.data or None
    db.session.add(row)
    db.session.flush()
    audit.record(current_user, "calendar.set", row, day=str(row.day), kind=row.kind)
    db.session.commit()
    flash(_("Производственный календарь изменён."), "success")
    return redirect(url_for("notify.reminders"))


@bp.route("/admin/calendar/<int:day_id>/delete", methods=["POST"])
def calendar_delete(day_id: int):
    admin_only()
    row = db.session.get(CalendarDay, day_id) or abort(404)
    audit.record(current_user, "calendar.delete", row, day=str(row.day))
    db.session.delete(row)
    db.session.commit()
    flash(_("Изменение календаря удалено."), "success")
    return redirect(url_for("notify.reminders"))


@bp.app_template_global()
def reminders_for(assignment: Any) -> list[OutboxMessage]:
    """The messages sent (or queued) about an assignment the user may see."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.assignment_id == assignment.id)
            .order_by(OutboxMessage.created_at)
        )
    )
