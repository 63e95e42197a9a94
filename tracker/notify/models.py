"""The outbox: every e-mail is first a row with a unique key, so nothing is sent twice."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core import clock
from tracker.core.models import UTCDateTime, one_of
from tracker.core.permissions import register_unlisted, register_visibility
from tracker.extensions import db


class OutboxState(StrEnum):
    """в очереди → отправляется → отправлено | ошибка | отменено"""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


OUTBOX_STATES = tuple(OutboxState)
OUTBOX_STATE_LABELS = {
    OutboxState.PENDING: _l("в очереди"),
    OutboxState.SENDING: _l("отправляется"),
    OutboxState.SENT: _l("отправлено"),
    OutboxState.FAILED: _l("ошибка"),
    OutboxState.CANCELLED: _l("отменено"),
}


class OutboxMessage(db.Model):
    __tablename__ = "outbox"
    __table_args__ = (
        one_of("state", OUTBOX_STATES),
        sa.CheckConstraint("attempts >= 0", name="attempts_positive"),
        # The sweep and the delivery workers look only at unsent rows.
        sa.Index(
            "ix_outbox_unsent",
            "send_after",
            sqlite_where=sa.text("state IN ('pending', 'sending')"),
            postgresql_where=sa.text("state IN ('pending', 'sending')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "assignment:42:due-minus-3:2023-02-24:user:7" — a re-run cannot make a second row.
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    recipient_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    recipient_email: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    road_map_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_maps.id", ondelete="CASCADE"), index=True
    )
    road_map_action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_map_actions.id", ondelete="CASCADE"), index=True
    )
    occurrence: Mapped[str | None] = mapped_column(sa.String(40))
    # The deadline a reminder was written for; delivery cancels it if the deadline has moved.
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    subject: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    # When the row's «sending» began (a claim); the rescue takes it TRACKER_SENDING_TIMEOUT later.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the row was handed to the broker (Celery); not handed again before
    # TRACKER_REQUEUE_SECONDS (the broker may have lost it). NULL: not in any broker's hands.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient = relationship("User")
    assignment = relationship("Assignment")
    road_map_action = relationship("RoadMapAction")


class ReminderSweep(db.Model):
    """One row per department, time zone and local working day the sweep has covered. A day
    without a row was missed (the scheduler was down): the next sweep writes its reminders once,
    marked late, and records it with `late` set."""

    __tablename__ = "reminder_sweeps"
    __table_args__ = (sa.UniqueConstraint("organization_id", "timezone", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    timezone: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    swept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    late: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)


class ReminderPolicy(db.Model):
    """When a department's assignees are reminded; one row per department (defaults if none)."""

    __tablename__ = "reminder_policies"
    __table_args__ = (
        sa.CheckConstraint("send_hour BETWEEN 0 AND 23", name="send_hour_range"),
        sa.CheckConstraint("overdue_every_days >= 1", name="overdue_every_positive"),
        sa.CheckConstraint("escalate_after_days >= 1", name="escalate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    days_before: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=lambda: [7, 3, 1])
    on_the_day: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    overdue_every_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=3)
    # Overdue this long: reminders to the executor stop, the controller gets one escalation.
    escalate_after_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=30)
    send_hour: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=9)


class Notification(db.Model):
    """An event in the app for one person: a report to check, a return, a granted extension.
    Written in the transaction of the change, beside its letter; opening it marks it read."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The top bar counts a person's unread events on every page.
        sa.Index(
            "ix_notifications_unread",
            "user_id",
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The event's own key, e.g. "assignment:42:reported:7:user:3": a re-run adds nothing.
    key: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # A path inside the app (not a full URL): where opening the notification leads.
    link: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
    assignment = relationship("Assignment")


CALENDAR_DAY_KINDS = ("holiday", "workday")


class CalendarDay(db.Model):
    """An administrator's change to the production calendar: an extra holiday or a working
    Saturday. Without rows the `holidays` package's Russian calendar applies."""

    __tablename__ = "calendar_days"
    __table_args__ = (one_of("kind", CALENDAR_DAY_KINDS), sa.UniqueConstraint("day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(255))


# A department's reminder policy is theirs who manage the department.
register_visibility(ReminderPolicy, "organization.manage", ReminderPolicy.organization_id)
register_unlisted(ReminderSweep, "the sweep's own record of the days it covered")
