"""The management cycle: directions, goals, indicators, monitoring, analysis, effectiveness."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.assignments.models import Assignment
from tracker.core import clock
from tracker.core.models import Timestamped, UTCDateTime, one_of
from tracker.core.permissions import in_scope, register_visibility
from tracker.core.tenancy import User
from tracker.extensions import db

# обоснованные цели → показатели и методы сбора → мониторинг → анализ и адресные рекомендации →
# меры и управленческие решения → анализ эффективности принятых мер (seed 004)
CYCLE_STAGES = ("goals", "indicators", "monitoring", "analysis", "decisions", "effectiveness")
FRAMEWORKS = ("MUM", "VSOKO", "OTHER")
FRAMEWORK_LABELS = {"MUM": _l("МУМ"), "VSOKO": _l("ВСОКО"), "OTHER": _l("Другое")}
UNITS = ("number", "percent", "bool", "score")
BETTER = ("higher", "lower")


class CampaignStatus(StrEnum):
    """A monitoring collection takes values while open."""

    OPEN = "open"
    CLOSED = "closed"


VERDICTS = ("effective", "partial", "ineffective")

goal_indicators = sa.Table(
    "goal_indicators",
    db.metadata,
    sa.Column("goal_id", sa.ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("indicator_id", sa.ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
)

indicator_organizations = sa.Table(
    "indicator_organizations",
    db.metadata,
    sa.Column("indicator_id", sa.ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organization_id", sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    ),
)

campaign_indicators = sa.Table(
    "campaign_indicators",
    db.metadata,
    sa.Column(
        "campaign_id",
        sa.ForeignKey("monitoring_campaigns.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("indicator_id", sa.ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True),
)

review_decisions = sa.Table(
    "effectiveness_review_decisions",
    db.metadata,
    sa.Column(
        "review_id", sa.ForeignKey("effectiveness_reviews.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("decision_id", sa.ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True),
)


class Direction(db.Model):
    """Направление (трек) МУМ или ВСОКО."""

    __tablename__ = "directions"
    __table_args__ = (one_of("framework", FRAMEWORKS), sa.UniqueConstraint("framework", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    framework: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    group_name: Mapped[str | None] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    declared_indicators: Mapped[int | None] = mapped_column(sa.Integer)

    @property
    def framework_label(self) -> str:
        """The framework as people name it: «МУМ», «ВСОКО» (the code stays in the data)."""
        return str(FRAMEWORK_LABELS.get(self.framework, self.framework))

    @property
    def label(self) -> str:
        return f"{self.framework_label}: {self.name}"


class Goal(Timestamped, db.Model):
    __tablename__ = "goals"
    __table_args__ = (
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="period_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False)
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)

    direction = relationship("Direction")
    indicators = relationship("Indicator", secondary=goal_indicators, back_populates="goals")


class Indicator(Timestamped, db.Model):
    __tablename__ = "indicators"
    __table_args__ = (
        one_of("unit", UNITS),
        one_of("better", BETTER),
        sa.UniqueConstraint("organization_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The department that owns the indicator.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="number")
    max_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    better: Mapped[str] = mapped_column(sa.String(6), nullable=False, default="higher")
    method: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str | None] = mapped_column(sa.Text)
    periodicity: Mapped[str | None] = mapped_column(sa.String(40))
    target_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))
    threshold_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 4))

    organization = relationship("Organization")
    direction = relationship("Direction")
    goals = relationship("Goal", secondary=goal_indicators, back_populates="indicators")
    organizations = relationship("Organization", secondary=indicator_organizations)


class MonitoringCampaign(Timestamped, db.Model):
    """A collection of indicator values for one period from a set of organizations."""

    __tablename__ = "monitoring_campaigns"
    __table_args__ = (one_of("status", tuple(CampaignStatus)),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    period: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    # The decision whose assignments ask each school for its values.
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default=CampaignStatus.OPEN)
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # False: a school's assignment closes itself once all its values are in and valid;
    # True: the controller accepts each school's values as a report.
    manual_acceptance: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )

    organization = relationship("Organization")
    direction = relationship("Direction")
    decision = relationship("Decision")
    indicators = relationship("Indicator", secondary=campaign_indicators, order_by="Indicator.code")


class Measurement(db.Model):
    """One value of one indicator for one organization and period ("2023", "2023-Q1")."""

    __tablename__ = "measurements"
    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "organization_id", "period"),
        sa.Index("ix_measurements_org_period", "organization_id", "period"),
        # «values of this indicator in this year» (the cycle board, the analysis); on PostgreSQL
        # the organization and the value ride in the index, so averages read the index alone
        sa.Index(
            "ix_measurements_indicator_period",
            "indicator_id",
            "period",
            postgresql_include=["organization_id", "value"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    period: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 4), nullable=False)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("monitoring_campaigns.id", ondelete="SET NULL"), index=True
    )
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    indicator = relationship("Indicator")
    organization = relationship("Organization")


class Analysis(Timestamped, db.Model):
    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL"), index=True
    )
    indicator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="SET NULL")
    )
    period: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.Text, nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    organization = relationship("Organization")
    direction = relationship("Direction")
    indicator = relationship("Indicator")
    recommendations = relationship(
        "Recommendation",
        back_populates="analysis",
        cascade="all, delete-orphan",
        order_by="Recommendation.id",
    )


class Recommendation(db.Model):
    """Адресная рекомендация: to a school or to the department itself; may become a decision."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(
        sa.ForeignKey("analyses.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decisions.id", ondelete="SET NULL"), unique=True
    )

    analysis = relationship("Analysis", back_populates="recommendations")
    organization = relationship("Organization")
    decision = relationship("Decision")


class EffectivenessReview(Timestamped, db.Model):
    """Анализ эффективности принятых мер: the indicator before and after, and a verdict."""

    __tablename__ = "effectiveness_reviews"
    __table_args__ = (
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN (" + ", ".join(f"'{v}'" for v in VERDICTS) + ")",
            name="verdict_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    direction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("directions.id", ondelete="SET NULL")
    )
    indicator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("indicators.id", ondelete="SET NULL")
    )
    period_before: Mapped[str | None] = mapped_column(sa.String(20))
    period_after: Mapped[str | None] = mapped_column(sa.String(20))
    verdict: Mapped[str | None] = mapped_column(sa.String(12))
    comment: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The figures as they stood when the verdict was given (values move on afterwards).
    figures: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)

    organization = relationship("Organization")
    direction = relationship("Direction")
    indicator = relationship("Indicator")
    decisions = relationship("Decision", secondary=review_decisions)


def _campaigns_seen(user: User | None) -> sa.ColumnElement[bool]:
    """A school sees the collections it is asked to give values for."""
    asked = sa.select(Assignment.decision_id).where(
        in_scope(user, "assignment.view", Assignment.organization_id)
    )
    return sa.or_(
        in_scope(user, "cycle.view", MonitoringCampaign.organization_id),
        MonitoringCampaign.decision_id.in_(asked),
    )


def _indicators_seen(user: User | None) -> sa.ColumnElement[bool]:
    """A school sees the indicators of the collections it is asked to give values for."""
    asked = (
        sa.select(campaign_indicators.c.indicator_id)
        .join(MonitoringCampaign, MonitoringCampaign.id == campaign_indicators.c.campaign_id)
        .join(Assignment, Assignment.decision_id == MonitoringCampaign.decision_id)
        .where(in_scope(user, "assignment.view", Assignment.organization_id))
    )
    return sa.or_(in_scope(user, "cycle.view", Indicator.organization_id), Indicator.id.in_(asked))


register_visibility(
    MonitoringCampaign, "cycle.view", MonitoringCampaign.organization_id, view=_campaigns_seen
)
register_visibility(Indicator, "cycle.view", Indicator.organization_id, view=_indicators_seen)
for _model in (Goal, Measurement, Analysis, Recommendation, EffectivenessReview):
    register_visibility(_model, "cycle.view", _model.organization_id)
