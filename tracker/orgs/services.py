"""Organizations, users and memberships: the operations (flush, never commit)."""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.core import audit
from tracker.core.errors import NotAllowed, Refused
from tracker.core.i18n import _
from tracker.core.permissions import can, can_anywhere, can_wholly
from tracker.core.tenancy import ORG_KINDS, ROLES, Membership, Organization, User


class OrgError(Refused):
    """A refusal with a Russian message for the user."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


# One address: no spaces, line breaks, quotes or separators that could add another recipient.
_EMAIL = re.compile(r"[^\s@<>,;:\"'()\[\]\\]+@[^\s@<>,;:\"'()\[\]\\]+\.[^\s@<>,;:\"'()\[\]\\]+")


def clean_name(value: str) -> str:
    """A person's name as it goes into a letter's header: one line, no control characters."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise OrgError(_("ФИО пишется в одну строку, без переводов строки и служебных символов."))
    return " ".join(value.split())


def _require(actor: User | None, action: str, organization: Organization | None) -> None:
    """`action` on `organization`; a top-level organization only the system actor makes."""
    if organization is None:
        allowed = bool(getattr(actor, "is_system", False))
    else:
        allowed = can(actor, action, organization)
    if not allowed:
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=organization)


def require_person(actor: User | None, user: User) -> None:
    """An administrator acts on a person only if every role of theirs lies in their reach (one
    with no role yet: any administrator)."""
    if not (
        can_wholly(actor, "user.manage", user)
        if user.memberships
        else can_anywhere(actor, "user.manage")
    ):
        raise NotAllowed(_("Недостаточно прав для этого действия."), target=user)


def create_organization(
    session: Session,
    *,
    kind: str,
    short_name: str,
    full_name: str | None = None,
    parent: Organization | None = None,
    timezone: str | None = None,
    email: str | None = None,
    municipality: str | None = None,
    aliases: list[str] | None = None,
    key: str | None = None,
    actor: User,
) -> Organization:
    _require(actor, "organization.manage", parent)
    if kind not in ORG_KINDS:
        raise OrgError(_("Неизвестный тип организации: %(kind)s", kind=kind))
    if not short_name.strip():
        raise OrgError(_("Укажите краткое наименование организации."))
    tz = timezone or (parent.timezone if parent else "Europe/Moscow")
    if tz not in available_timezones():
        raise OrgError(
            _(
                "Неизвестный часовой пояс «%(tz)s». Укажите пояс IANA, например Europe/Moscow.",
                tz=tz,
            )
        )
    org = Organization(
        kind=kind,
        short_name=short_name.strip(),
        full_name=(full_name or short_name).strip(),
        parent=parent,
        timezone=tz,
        email=normalize_email(email) if email else None,
        municipality=municipality,
        aliases=aliases or [],
        key=key,
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    session.flush()
    audit.record(actor, "organization.create", org, organization_id=org.id)
    return org


def update_organization(
    session: Session, org: Organization, *, actor: User, **fields: object
) -> Organization:
    _require(actor, "organization.manage", org)
    tz = fields.get("timezone")
    if tz is not None and tz not in available_timezones():
        raise OrgError(_("Неизвестный часовой пояс «%(tz)s».", tz=tz))
    changed = {}
    for name, value in fields.items():
        if getattr(org, name) != value:
            changed[name] = [str(getattr(org, name)), str(value)]
            setattr(org, name, value)
    if changed:
        session.flush()
        audit.record(actor, "organization.update", org, organization_id=org.id, changed=changed)
    return org


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    position: str | None = None,
    actor: User,
) -> User:
    if not can_anywhere(actor, "user.manage"):
        raise NotAllowed(_("Недостаточно прав для этого действия."))
    email = normalize_email(email)
    if not _EMAIL.fullmatch(email):
        raise OrgError(_("Укажите правильный адрес электронной почты."))
    full_name = clean_name(full_name)
    if not full_name:
        raise OrgError(_("Укажите ФИО."))
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise OrgError(_("Пользователь с адресом %(email)s уже есть.", email=email))
    user = User(email=email, full_name=full_name.strip(), position=position)
    session.add(user)
    session.flush()
    audit.record(actor, "user.create", user, email=email)
    return user


def grant_role(
    session: Session,
    user: User,
    organization: Organization,
    role: str,
    *,
    actor: User,
) -> Membership:
    _require(actor, "user.manage", organization)
    require_person(actor, user)
    if role not in ROLES:
        raise OrgError(_("Неизвестная роль: %(role)s", role=role))
    if role in ("director", "school_staff") and not organization.is_school:
        raise OrgError(
            _("Директор и сотрудник ОО назначаются только в образовательную организацию.")
        )
    existing = session.scalar(
        sa.select(Membership).where(
            Membership.user_id == user.id,
            Membership.organization_id == organization.id,
            Membership.role == role,
        )
    )
    if existing:
        return existing
    membership = Membership(user=user, organization=organization, role=role)
    session.add(membership)
    session.flush()
    audit.record(actor, "user.grant_role", user, organization_id=organization.id, role=role)
    return membership


def revoke_role(session: Session, membership: Membership, *, actor: User) -> None:
    _require(actor, "user.manage", membership.organization)
    require_person(actor, membership.user)
    audit.record(
        actor,
        "user.revoke_role",
        membership.user,
        organization_id=membership.organization_id,
        role=membership.role,
    )
    session.delete(membership)
    session.flush()


def set_active(session: Session, user: User, active: bool, *, actor: User) -> None:
    require_person(actor, user)
    user.active = active
    user.session_version += 1
    session.flush()
    audit.record(actor, "user.activate" if active else "user.deactivate", user)


def search_organizations(session: Session, user: User, q: str | None, limit: int = 50):
    from tracker.core.permissions import visible_to

    query = sa.select(Organization).where(visible_to(user, Organization))
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Organization.short_name).like(pattern),
                sa.func.lower(Organization.full_name).like(pattern),
            )
        )
    return session.scalars(query.order_by(Organization.path).limit(limit)).all()
