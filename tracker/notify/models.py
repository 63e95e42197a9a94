"""The outbox: every e-mail is first a row with a unique key, so nothing is sent twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core import clock
from tracker.core.models import UTCDateTime, one_of
from tracker.extensions import db

OUTBOX_STATES = ("pending", "sending", "sent", "failed", "cancelled")


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
    occurrence: Mapped[str | None] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient = relationship("User")
