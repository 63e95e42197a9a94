"""Base column types and mixins shared by every part, plus the audit log, comments and files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core import clock
from tracker.extensions import db

# Every primary key is a 32-bit integer on PostgreSQL: a larger id names nothing.
MAX_ID = 2**31 - 1


def get_by_id(session: Any, model: type, object_id: Any) -> Any:
    """`session.get` for an id from outside: None for anything that cannot be a key."""
    if isinstance(object_id, bool) or not isinstance(object_id, int):
        return None
    if not 0 < object_id <= MAX_ID:
        return None
    return session.get(model, object_id)


class UTCDateTime(sa.types.TypeDecorator):
    """Stored as naive UTC on every backend, always returned aware."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> sa.CheckConstraint:
    """A check constraint that keeps a state column inside its enum."""
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=name or f"{column}_valid")


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False
    )


class AuditLog(db.Model):
    """Who did what to which object, and when. Written by services in the same transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict, nullable=False)

    actor = relationship("User", foreign_keys=[actor_id])


COMMENT_TARGETS = ("assignment_id", "road_map_id", "road_map_action_id")


class Comment(Timestamped, db.Model):
    """A remark on an assignment, a road map or one of its actions."""

    __tablename__ = "comments"
    __table_args__ = (
        sa.CheckConstraint(
            " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in COMMENT_TARGETS)
            + " = 1",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    road_map_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_maps.id", ondelete="CASCADE"), index=True
    )
    road_map_action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_map_actions.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)

    author = relationship("User")


ATTACHMENT_TARGETS = ("execution_report_id", "road_map_action_id", "road_map_id")


class Attachment(db.Model):
    """A file kept on disk (never in the database); the row says who may stream it back."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.CheckConstraint(
            " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in ATTACHMENT_TARGETS)
            + " = 1",
            name="one_target",
        ),
        sa.CheckConstraint("size >= 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    execution_report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("execution_reports.id", ondelete="CASCADE"), index=True
    )
    road_map_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_maps.id", ondelete="CASCADE"), index=True
    )
    road_map_action_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_map_actions.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(sa.String(127), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)


DEADLINE_KINDS = ("date", "month", "ongoing", "recurring", "relative", "none")


class DeadlineColumns:
    """A deadline kept in the protocol's words plus its machine form (see core.deadlines)."""

    deadline_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    deadline_kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="none")
    due_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    deadline_rule: Mapped[str | None] = mapped_column(sa.String(255))
    deadline_offset_days: Mapped[int | None] = mapped_column(sa.Integer)
    deadline_event: Mapped[str | None] = mapped_column(sa.Text)
    # For a relative deadline: the date of the event it counts back from, once known.
    event_date: Mapped[date | None] = mapped_column(sa.Date)


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, wait on locks, and lower-case Cyrillic like PostgreSQL."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (SAVEPOINT support).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # WAL: readers (the web) and the writer (the scheduler) do not block each other.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        dbapi_connection.create_function(
            "lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True
        )


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic: write our UTC column type as a plain DateTime, so migrations need no app import."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


# SQLite lets one writer in at a time. A transaction that reads first and writes later fails at
# once («database is locked») when another writer committed in between, whatever busy_timeout
# says; one begun with BEGIN IMMEDIATE takes the write lock up front and waits for it instead.
_sqlite_immediate: ContextVar[bool] = ContextVar("sqlite_immediate", default=False)


@contextmanager
def sqlite_writer() -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock at BEGIN (no effect on PostgreSQL):
    for background writers (the sweep, delivery) that run beside each other and the web."""
    token = _sqlite_immediate.set(True)
    try:
        yield
    finally:
        _sqlite_immediate.reset(token)


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_begin(conn: sa.engine.Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _sqlite_immediate.get() else "BEGIN")
