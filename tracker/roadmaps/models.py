"""Road maps (дорожные карты / планы мероприятий), their actions and frozen versions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import DEADLINE_KINDS, DeadlineColumns, Timestamped, UTCDateTime, one_of
from tracker.core.permissions import register_visibility
from tracker.extensions import db


class RoadMapStatus(StrEnum):
    """черновик → на согласовании → на доработке → согласовано"""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"  # исключено из плана; kept, struck through


class VersionState(StrEnum):
    """A frozen version's review: the road map's status when it was sent and decided."""

    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"


class RoadMap(Timestamped, db.Model):
    __tablename__ = "road_maps"
    __table_args__ = (
        one_of("status", tuple(RoadMapStatus)),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="period_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    # The assignment that asked for this road map; approval closes it.
    assignment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("assignments.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    goal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("goals.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=RoadMapStatus.DRAFT)
    approver_block: Mapped[str | None] = mapped_column(sa.Text)  # the «УТВЕРЖДАЮ» block
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization = relationship("Organization")
    assignment = relationship("Assignment")
    direction = relationship("Direction")
    actions = relationship(
        "RoadMapAction",
        back_populates="road_map",
        order_by="RoadMapAction.position",
        cascade="all, delete-orphan",
    )
    versions = relationship(
        "RoadMapVersion",
        back_populates="road_map",
        order_by="RoadMapVersion.number",
        cascade="all, delete-orphan",
    )


class RoadMapAction(DeadlineColumns, Timestamped, db.Model):
    """Мероприятие: one row of the plan."""

    __tablename__ = "road_map_actions"
    __table_args__ = (
        one_of("status", tuple(ActionStatus)),
        one_of("deadline_kind", DEADLINE_KINDS),
        sa.UniqueConstraint("road_map_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    road_map_id: Mapped[int] = mapped_column(
        sa.ForeignKey("road_maps.id", ondelete="CASCADE"), nullable=False, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_map_actions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    number: Mapped[str | None] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    responsible: Mapped[str | None] = mapped_column(sa.Text)
    responsible_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    expected_result: Mapped[str | None] = mapped_column(sa.Text)
    indicator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="SET NULL")
    )
    target_value: Mapped[str | None] = mapped_column(sa.String(100))
    resources: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default=ActionStatus.PLANNED)
    completed_on: Mapped[date | None] = mapped_column(sa.Date)
    evidence: Mapped[str | None] = mapped_column(sa.Text)

    road_map = relationship("RoadMap", back_populates="actions")
    responsible_user = relationship("User")
    parent = relationship("RoadMapAction", remote_side=[id])
    attachments = relationship("Attachment", order_by="Attachment.id", lazy="selectin")


class RoadMapVersion(db.Model):
    """A submission frozen as JSON, so the reviewer can diff it against the previous one."""

    __tablename__ = "road_map_versions"
    __table_args__ = (
        one_of("state", tuple(VersionState)),
        sa.UniqueConstraint("road_map_id", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    road_map_id: Mapped[int] = mapped_column(
        sa.ForeignKey("road_maps.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    snapshot: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    state: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default=VersionState.SUBMITTED
    )
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    # Per-action remarks of the reviewer: {"<action id>": "comment"}.
    action_comments: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)

    road_map = relationship("RoadMap", back_populates="versions")


register_visibility(RoadMap, "roadmap.view", RoadMap.organization_id)
