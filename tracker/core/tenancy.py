"""Tenancy: organizations (a tree), users and their role memberships. They live in core because
the one permission filter is written in their terms; the orgs part manages them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tracker.core.models import Timestamped, UTCDateTime, one_of
from tracker.extensions import db

ORG_KINDS = ("region", "department", "school", "kindergarten", "additional", "center")
SCHOOL_KINDS = ("school", "kindergarten", "additional", "center")
ROLES = ("admin", "staff", "director", "school_staff")
NOTIFY_MODES = ("each", "digest")
# Events (a report to check, a return, an extension decided): a letter at once, or in the digest.
EVENT_MAIL_MODES = ("now", "digest")
SYSTEM_EMAIL = "system@tracker.invalid"


class Organization(Timestamped, db.Model):
    """Region → department (управление/отдел образования) → schools, kindergartens, centers."""

    __tablename__ = "organizations"
    __table_args__ = (
        one_of("kind", ORG_KINDS),
        sa.UniqueConstraint("parent_id", "short_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    # Materialized path "/1/5/23/": a subtree is `path LIKE '/1/5/%'`.
    path: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="", index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.Text, nullable=False)
    municipality: Mapped[str | None] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(255))
    timezone: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, default="Europe/Moscow", index=True
    )
    aliases: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    # A school's choice: its deputies and teachers submit their reports themselves (True), or
    # prepare them for the director, who submits (False).
    deputies_submit: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=True, server_default=sa.true()
    )
    # Stable external key (demo data, imports); lets a re-run find the row it made before.
    key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    parent = relationship("Organization", remote_side=[id], back_populates="children")
    children = relationship(
        "Organization", back_populates="parent", order_by="Organization.short_name"
    )

    @property
    def is_school(self) -> bool:
        return self.kind in SCHOOL_KINDS

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.short_name!r}>"


class User(UserMixin, Timestamped, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        one_of("notify_mode", NOTIFY_MODES),
        one_of("event_mail", EVENT_MAIL_MODES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    position: Mapped[str | None] = mapped_column(sa.Text)
    # Null until the user sets a password through an invitation link.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    notify_mode: Mapped[str | None] = mapped_column(sa.String(10))
    event_mail: Mapped[str] = mapped_column(
        sa.String(10), nullable=False, default="now", server_default="now"
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Permanent (5xx) mail failures in a row; at three the address is marked undeliverable.
    bounce_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    email_undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change or logout-everywhere; part of the session identity.
    session_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    # The system actor (see `system_actor`): every right, no sign-in.
    is_system: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )

    memberships = relationship(
        "Membership", back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_authenticated(self) -> bool:  # Flask-Login; the system actor acts, never signs in
        return self.active or self.is_system

    # The login session this request runs in (set by the login and by the user loader).
    login_token = None

    def get_id(self) -> str:  # Flask-Login: a password change or a logout ends the session
        return f"{self.id}:{self.session_version}:{self.login_token or ''}"

    def roles_in(self, organization_id: int) -> set[str]:
        return {m.role for m in self.memberships if m.organization_id == organization_id}

    def has_role(self, *roles: str) -> bool:
        return any(m.role in roles for m in self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        one_of("role", ROLES),
        sa.UniqueConstraint("user_id", "organization_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), nullable=False)

    user = relationship("User", back_populates="memberships")
    organization = relationship("Organization", lazy="joined")


def system_actor(session: Session) -> User:
    """The actor of the CLI and the demo loader: one inactive user row «Система» (made on first
    use) that the permission checker lets do anything and that the audit log names. It has no
    password and no membership, so it signs in nowhere and appears in no list of people."""
    actor = session.scalar(sa.select(User).where(User.is_system.is_(True)).limit(1))
    if actor is None:
        actor = User(email=SYSTEM_EMAIL, full_name="Система", active=False, is_system=True)
        session.add(actor)
        session.flush()
    return actor
