"""Meetings (совещания, заседания), their agenda («СЛУШАЛИ») and decisions («РЕШИЛИ»)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.assignments.models import Assignment
from tracker.core.models import DEADLINE_KINDS, DeadlineColumns, Timestamped, one_of
from tracker.core.permissions import in_scope, register_visibility
from tracker.core.tenancy import User
from tracker.cycle.models import CYCLE_STAGES
from tracker.extensions import db

# «order» is a распоряжение; «prikaz» a приказ, «resolution» a постановление, «decision» a решение
# of a council, duma or collegium.
MEETING_KINDS = ("protocol", "extract", "reference", "order", "prikaz", "resolution", "decision")


class Meeting(Timestamped, db.Model):
    __tablename__ = "meetings"
    __table_args__ = (one_of("kind", MEETING_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="protocol")
    number: Mapped[str | None] = mapped_column(sa.String(40))
    held_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    time_text: Mapped[str | None] = mapped_column(sa.String(60))
    place: Mapped[str | None] = mapped_column(sa.Text)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    topic: Mapped[str | None] = mapped_column(sa.Text)
    chair: Mapped[str | None] = mapped_column(sa.Text)
    secretary: Mapped[str | None] = mapped_column(sa.Text)
    attendees: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    organization = relationship("Organization")
    agenda_items = relationship(
        "AgendaItem",
        back_populates="meeting",
        order_by="AgendaItem.position",
        cascade="all, delete-orphan",
    )
    decisions = relationship(
        "Decision",
        back_populates="meeting",
        order_by="Decision.position",
        cascade="all, delete-orphan",
    )


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    speaker: Mapped[str | None] = mapped_column(sa.Text)
    heard: Mapped[str | None] = mapped_column(sa.Text)

    meeting = relationship("Meeting", back_populates="agenda_items")


class Decision(DeadlineColumns, Timestamped, db.Model):
    """One point of «РЕШИЛИ», with a hierarchical number (1, 1.2, 1.3.1) and sub-items."""

    __tablename__ = "decisions"
    __table_args__ = (
        one_of("deadline_kind", DEADLINE_KINDS),
        sa.CheckConstraint(
            "cycle_stage IS NULL OR cycle_stage IN ("
            + ", ".join(f"'{s}'" for s in CYCLE_STAGES)
            + ")",
            name="cycle_stage_valid",
        ),
        sa.CheckConstraint("meeting_id IS NOT NULL OR organization_id IS NOT NULL", name="owner"),
        # the board's text search (PostgreSQL: Russian stems, GIN; SQLite searches plainly)
        sa.Index(
            "ix_decisions_text_search",
            sa.text("to_tsvector('russian'::regconfig, text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A standalone order has no meeting but still belongs to a department.
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    number: Mapped[str | None] = mapped_column(sa.String(40))
    section: Mapped[str | None] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    executor_group: Mapped[str | None] = mapped_column(sa.Text)
    controller_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    cycle_stage: Mapped[str | None] = mapped_column(sa.String(20))
    # False: a decision nobody reports on («принять к сведению», «утвердить прилагаемый …»)
    needs_report: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    meeting = relationship("Meeting", back_populates="decisions")
    parent = relationship("Decision", remote_side=[id], back_populates="children")
    children = relationship("Decision", back_populates="parent", order_by="Decision.position")
    controller = relationship("User")
    direction = relationship("Direction")
    assignments = relationship(
        "Assignment", back_populates="decision", cascade="all, delete-orphan"
    )


def _decisions_seen(user: User | None) -> sa.ColumnElement[bool]:
    """A decision is seen by whoever sees one of its assignments or manages its meeting."""
    visible_assignments = sa.select(Assignment.decision_id).where(
        in_scope(user, "assignment.view", Assignment.organization_id)
    )
    managed_meetings = sa.select(Meeting.id).where(
        in_scope(user, "meeting.manage", Meeting.organization_id)
    )
    return sa.or_(
        Decision.id.in_(visible_assignments),
        Decision.meeting_id.in_(managed_meetings),
        in_scope(user, "meeting.manage", Decision.organization_id),
    )


def _meetings_seen(user: User | None) -> sa.ColumnElement[bool]:
    """A meeting is seen by its managers, the auditors, and every school assigned a share of it."""
    visible_decisions = (
        sa.select(Decision.meeting_id)
        .join(Assignment, Assignment.decision_id == Decision.id)
        .where(in_scope(user, "assignment.view", Assignment.organization_id))
    )
    return sa.or_(
        in_scope(user, "meeting.manage", Meeting.organization_id),
        in_scope(user, "audit.view", Meeting.organization_id),
        Meeting.id.in_(visible_decisions),
    )


register_visibility(Decision, "meeting.view", Decision.organization_id, view=_decisions_seen)
register_visibility(Meeting, "meeting.view", Meeting.organization_id, view=_meetings_seen)
