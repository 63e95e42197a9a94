"""Expert sheets (экспертный лист): criteria scored per organization, e.g. 0/1/2 (seed 002)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.core.models import Timestamped, one_of
from tracker.core.permissions import in_scope, register_visibility
from tracker.core.tenancy import User
from tracker.extensions import db

SHEET_KINDS = ("expert", "diagnostic")


class ExpertSheet(Timestamped, db.Model):
    """A template: its criteria and scale. A diagnostic card sums «negative» 0/1 criteria."""

    __tablename__ = "expert_sheets"
    __table_args__ = (one_of("kind", SHEET_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="expert")
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # Labels of the scale, e.g. {"0": "не реализовано", "1": "частично", "2": "в полной мере"}.
    scale: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    # A diagnostic card marks a school «с низкими результатами» at or above this sum.
    threshold: Mapped[int | None] = mapped_column(sa.Integer)
    key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    criteria = relationship(
        "Criterion",
        back_populates="sheet",
        order_by="Criterion.position",
        cascade="all, delete-orphan",
    )


class Criterion(db.Model):
    __tablename__ = "criteria"
    __table_args__ = (
        sa.UniqueConstraint("sheet_id", "position"),
        sa.CheckConstraint("max_score > 0", name="max_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expert_sheets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    number: Mapped[str | None] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    max_score: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=2)

    sheet = relationship("ExpertSheet", back_populates="criteria")


class Evaluation(Timestamped, db.Model):
    """One organization (or one of its road maps) scored on a sheet."""

    __tablename__ = "evaluations"
    __table_args__ = (sa.UniqueConstraint("sheet_id", "organization_id", "road_map_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expert_sheets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    road_map_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("road_maps.id", ondelete="SET NULL"), index=True
    )
    evaluated_on: Mapped[date | None] = mapped_column(sa.Date)
    evaluator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    findings: Mapped[str | None] = mapped_column(sa.Text)
    recommendations: Mapped[str | None] = mapped_column(sa.Text)

    sheet = relationship("ExpertSheet")
    organization = relationship("Organization")
    scores = relationship("Score", back_populates="evaluation", cascade="all, delete-orphan")


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("evaluation_id", "criterion_id"),
        sa.CheckConstraint("value >= 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("criteria.id", ondelete="CASCADE"), nullable=False, index=True
    )
    value: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    evaluation = relationship("Evaluation", back_populates="scores")
    criterion = relationship("Criterion")


def _sheets_seen(user: User | None) -> sa.ColumnElement[bool]:
    """Staff see their department's sheets; a director, a sheet that scored their school."""
    scored = sa.select(Evaluation.sheet_id).where(
        in_scope(user, "evaluation.view", Evaluation.organization_id)
    )
    return sa.or_(
        in_scope(user, "evaluation.view", ExpertSheet.organization_id), ExpertSheet.id.in_(scored)
    )


register_visibility(ExpertSheet, "evaluation.view", ExpertSheet.organization_id, view=_sheets_seen)
register_visibility(Evaluation, "evaluation.view", Evaluation.organization_id)
