"""Assignments (one executor's share of a decision), execution reports and extension requests."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core import clock
from tracker.core.models import Timestamped, UTCDateTime, one_of
from tracker.core.permissions import register_owned, register_visibility
from tracker.extensions import db


class AssignmentStatus(StrEnum):
    """назначено → в работе → отчёт представлен → исполнено | на доработке; отменено"""

    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    REPORTED = "reported"
    RETURNED = "returned"
    DONE = "done"
    CANCELLED = "cancelled"


ASSIGNMENT_STATES = tuple(AssignmentStatus)
OPEN_STATES = (AssignmentStatus.ASSIGNED, AssignmentStatus.IN_PROGRESS, AssignmentStatus.RETURNED)
EXECUTOR_ROLES = ("lead", "co")


class ReportState(StrEnum):
    """на проверке → принят | возвращён"""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


class ExtensionState(StrEnum):
    """ждёт решения → перенесено | отказано"""

    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"


REPORT_STATES = tuple(ReportState)
EXTENSION_STATES = tuple(ExtensionState)


class Assignment(Timestamped, db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        one_of("status", ASSIGNMENT_STATES),
        one_of("executor_role", EXECUTOR_ROLES),
        sa.CheckConstraint("extension_count >= 0", name="extension_count_positive"),
        # One share per organization of a decision, unless it is addressed to people.
        sa.Index(
            "uq_assignments_decision_org",
            "decision_id",
            "organization_id",
            unique=True,
            sqlite_where=sa.text("assignee_id IS NULL"),
            postgresql_where=sa.text("assignee_id IS NULL"),
        ),
        sa.Index(
            "uq_assignments_decision_assignee",
            "decision_id",
            "assignee_id",
            unique=True,
            sqlite_where=sa.text("assignee_id IS NOT NULL"),
            postgresql_where=sa.text("assignee_id IS NOT NULL"),
        ),
        # An organization's assignments by state and deadline; on PostgreSQL the index also
        # carries what counts, discipline figures and the board's order read, so they are
        # answered from the index alone (no visit to the table's rows).
        sa.Index(
            "ix_assignments_org_status_due",
            "organization_id",
            "status",
            "due_date",
            postgresql_include=["id", "decision_id", "on_time", "extension_count"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    executor_role: Mapped[str] = mapped_column(sa.String(4), nullable=False, default="lead")
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="assigned")
    # The deadline in force (after extensions) and the one the protocol set.
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    original_due_date: Mapped[date | None] = mapped_column(sa.Date)
    extension_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Handed inside the school to a deputy or teacher, who prepares the report (delegation).
    delegate_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The report being prepared (by the delegate), submitted later by whoever may submit.
    report_draft: Mapped[str | None] = mapped_column(sa.Text)
    # Set on acceptance: was the accepted report filed before the deadline in force?
    on_time: Mapped[bool | None] = mapped_column(sa.Boolean)

    decision = relationship("Decision", back_populates="assignments")
    organization = relationship("Organization")
    assignee = relationship("User", foreign_keys=[assignee_id])
    delegate = relationship("User", foreign_keys=[delegate_id])
    reports = relationship(
        "ExecutionReport",
        back_populates="assignment",
        order_by="ExecutionReport.submitted_at",
        cascade="all, delete-orphan",
    )
    extensions = relationship(
        "ExtensionRequest",
        back_populates="assignment",
        order_by="ExtensionRequest.created_at",
        cascade="all, delete-orphan",
    )


class ExecutionReport(db.Model):
    __tablename__ = "execution_reports"
    __table_args__ = (
        one_of("state", REPORT_STATES),
        # the board's text search finds reports too (see ix_decisions_text_search)
        sa.Index(
            "ix_execution_reports_text_search",
            sa.text("to_tsvector('russian'::regconfig, text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # For recurring decisions: the reporting occurrence this report answers.
    occurrence_date: Mapped[date | None] = mapped_column(sa.Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=ReportState.SUBMITTED)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(sa.Text)

    assignment = relationship("Assignment", back_populates="reports")
    author = relationship("User", foreign_keys=[author_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    attachments = relationship("Attachment", cascade="all, delete-orphan")


class ExtensionRequest(db.Model):
    """Перенос срока: the original deadline stays on the assignment as original_due_date."""

    __tablename__ = "extension_requests"
    __table_args__ = (one_of("state", EXTENSION_STATES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    previous_due_date: Mapped[date | None] = mapped_column(sa.Date)
    proposed_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    state: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default=ExtensionState.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_comment: Mapped[str | None] = mapped_column(sa.Text)

    assignment = relationship("Assignment", back_populates="extensions")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


SAVED_FILTER_PAGES = ("board", "my")


class SavedFilter(db.Model):
    """A person's named filter of the board or of «Мои поручения»: the page's query arguments,
    re-written from the validated filter, so opening it is the same as filling the form again."""

    __tablename__ = "saved_filters"
    __table_args__ = (
        one_of("page", SAVED_FILTER_PAGES),
        sa.UniqueConstraint("user_id", "page", "name", name="uq_saved_filters_user_page_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    page: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    query: Mapped[str] = mapped_column(sa.String(2000), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)


register_visibility(Assignment, "assignment.view", Assignment.organization_id)
register_owned(SavedFilter, SavedFilter.user_id)
