"""Letters received: each is remembered by its Message-ID, so it is processed only once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core import clock
from tracker.core.models import UTCDateTime, one_of
from tracker.extensions import db


class InboundOutcome(StrEnum):
    """report / extension: filed; refused: answered with the reason; ignored: robots, no answer."""

    REPORT = "report"
    EXTENSION = "extension"
    REFUSED = "refused"
    IGNORED = "ignored"


OUTCOMES = tuple(InboundOutcome)
CHANNELS = ("smtp", "imap")


class InboundMessage(db.Model):
    __tablename__ = "inbound_messages"
    __table_args__ = (one_of("outcome", OUTCOMES), one_of("via", CHANNELS))

    id: Mapped[int] = mapped_column(primary_key=True)
    # The letter's Message-ID, or "sha256:<digest of the letter>" when it has none.
    message_id: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    via: Mapped[str] = mapped_column(sa.String(4), nullable=False)
    sender: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="", index=True)
    subject: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    outcome: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    answered: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    execution_report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("execution_reports.id", ondelete="SET NULL"), index=True
    )
    extension_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("extension_requests.id", ondelete="SET NULL"), index=True
    )
    # The original letter as received (kept for filed letters only), under TRACKER_UPLOAD_DIR.
    storage_key: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    size: Mapped[int | None] = mapped_column(sa.BigInteger)

    assignment = relationship("Assignment")
    user = relationship("User")
