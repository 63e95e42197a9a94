"""The one permission filter.

The system actor (`tenancy.system_actor`: the CLI, the demo loader) may do everything; anyone
else's rights come from memberships (role in an organization). Each action lists, per role,
how far the right reaches from the membership's organization:

- OWN: that organization only (a director sees their school);
- SUBTREE: that organization and everything under it (staff see their department's schools);
- BELOW: only what is under it (staff approve their schools' road maps, never their own).

`in_scope` turns that into a SQL condition on an organization-id column; `visible_to` applies it
to each listed model, so pages, exports, the API, feeds and e-mails all filter the same way.
Each part registers, beside its models, which action seeing a model means and on which
organization column it is checked (`register_visibility`); a model nobody registered is refused,
never guessed (tests/test_permissions.py checks every model with an organization column).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import abort

from tracker.core.audit import record_denied
from tracker.core.models import MAX_ID, Attachment, AuditLog
from tracker.core.tenancy import Membership, Organization, User
from tracker.extensions import db

OWN, SUBTREE, BELOW = "own", "subtree", "below"
READERS = {"admin": SUBTREE, "staff": SUBTREE, "director": OWN, "school_staff": OWN}

PERMISSIONS: dict[str, dict[str, str]] = {
    "organization.view": READERS,
    "organization.manage": {"admin": SUBTREE},
    # A department's reminder rules: administrators, and the department's own staff.
    "reminders.manage": {"admin": SUBTREE, "staff": OWN},
    "user.view": {"admin": SUBTREE, "staff": SUBTREE, "director": OWN},
    "user.manage": {"admin": SUBTREE},
    "audit.view": {"admin": SUBTREE},
    "meeting.view": READERS,
    "meeting.manage": {"staff": SUBTREE},
    "assignment.view": READERS,
    "assignment.report": {"director": OWN, "school_staff": OWN},
    "assignment.control": {"staff": SUBTREE},
    # A director hands an assignment of the school to a deputy or teacher (delegation).
    "assignment.delegate": {"director": OWN},
    "roadmap.view": READERS,
    "roadmap.edit": {"director": OWN, "school_staff": OWN},
    "roadmap.submit": {"director": OWN},
    "roadmap.approve": {"staff": BELOW},
    "evaluation.view": READERS,
    "evaluation.manage": {"staff": SUBTREE},
    "cycle.view": READERS,
    "cycle.manage": {"staff": SUBTREE},
    "measurement.submit": {"staff": SUBTREE, "director": OWN, "school_staff": OWN},
}


def roles_for(action: str) -> dict[str, str]:
    try:
        return PERMISSIONS[action]
    except KeyError:
        raise ValueError(f"unknown action {action!r}") from None


def in_scope(user: User | None, action: str, org_column: Any) -> sa.ColumnElement[bool]:
    """SQL condition: `org_column` names an organization where `user` may do `action`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return sa.false()
    grants = roles_for(action)
    if getattr(user, "is_system", False):
        return sa.true()
    own_ids: set[int] = set()
    conditions: list[sa.ColumnElement[bool]] = []
    for m in user.memberships:
        reach = grants.get(m.role)
        if reach == OWN:
            own_ids.add(m.organization_id)
        elif reach in (SUBTREE, BELOW):
            subtree = sa.select(Organization.id).where(
                Organization.path.like(m.organization.path + "%")
            )
            if reach == BELOW:
                subtree = subtree.where(Organization.id != m.organization_id)
            conditions.append(org_column.in_(subtree))
    if own_ids:
        conditions.append(org_column.in_(sorted(own_ids)))
    return sa.or_(*conditions) if conditions else sa.false()


def can(user: User | None, action: str, organization: Organization | None) -> bool:
    """Whether `user` may do `action` on something that belongs to `organization`."""
    if user is None or organization is None or not getattr(user, "is_authenticated", False):
        return False
    grants = roles_for(action)
    if getattr(user, "is_system", False):
        return True
    for m in user.memberships:
        reach = grants.get(m.role)
        if reach == OWN and organization.id == m.organization_id:
            return True
        if (
            reach in (SUBTREE, BELOW)
            and organization.path.startswith(m.organization.path)
            and (reach == SUBTREE or organization.id != m.organization_id)
        ):
            return True
    return False


def can_anywhere(user: User | None, action: str) -> bool:
    """Whether `user` holds any role that grants `action` (for menus and page-level checks)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    grants = roles_for(action)
    return getattr(user, "is_system", False) or any(m.role in grants for m in user.memberships)


@dataclass(frozen=True)
class Visibility:
    """How a listing of one model is limited: `action` is what seeing it means, checked on the
    organization `column`; `through` turns that condition into one on the model when the column
    lives in another table; `view`, when given, replaces the plain check for `action` (a school
    also sees the decisions it has assignments in)."""

    action: str | None
    column: Any
    through: Callable[[sa.ColumnElement[bool]], sa.ColumnElement[bool]] | None = None
    view: Callable[[User | None], sa.ColumnElement[bool]] | None = None
    owner: Any = None  # for what a user keeps for themselves: the user-id column


VISIBILITY: dict[type, Visibility | str] = {}


def register_visibility(
    model: type,
    action: str,
    column: Any,
    *,
    through: Callable[[sa.ColumnElement[bool]], sa.ColumnElement[bool]] | None = None,
    view: Callable[[User | None], sa.ColumnElement[bool]] | None = None,
) -> None:
    """Each part registers, beside its models, how a listing of each of them is filtered."""
    roles_for(action)
    VISIBILITY[model] = Visibility(action, column, through, view)


def register_owned(model: type, user_column: Any) -> None:
    """A model each user keeps for themselves (a saved filter): only its owner sees it."""
    VISIBILITY[model] = Visibility(None, None, owner=user_column)


def register_unlisted(model: type, reason: str) -> None:
    """A model with an organization column that is never listed on its own (it is reached only
    through the object it belongs to); `visible_to` refuses it with `reason`."""
    VISIBILITY[model] = reason


def visible_to(user: User | None, model: type, action: str | None = None) -> sa.ColumnElement[bool]:
    """The WHERE clause that limits a listing of `model` to what `user` may see."""
    rule = VISIBILITY.get(model)
    if rule is None:
        raise TypeError(f"no visibility rule is registered for {model.__name__}")
    if isinstance(rule, str):
        raise TypeError(f"{model.__name__} is not listed on its own: {rule}")
    if rule.owner is not None:
        if user is None or not getattr(user, "is_authenticated", False):
            return sa.false()
        return rule.owner == user.id
    if rule.view is not None and action in (None, rule.action):
        return rule.view(user)
    condition = in_scope(user, action or rule.action, rule.column)
    return rule.through(condition) if rule.through is not None else condition


def wholly_in_scope(actor: User | None, action: str = "user.manage") -> sa.ColumnElement[bool]:
    """Users every one of whose memberships lies where `actor` may do `action`: an administrator
    acts on a person (password, mail, roles) only if no other region's role comes with them."""
    inside = sa.select(Membership.user_id).where(
        in_scope(actor, action, Membership.organization_id)
    )
    outside = sa.select(Membership.user_id).where(
        sa.not_(in_scope(actor, action, Membership.organization_id))
    )
    return sa.and_(User.id.in_(inside), User.id.not_in(outside))


def can_wholly(actor: User | None, action: str, user: User) -> bool:
    """The object form of `wholly_in_scope`."""
    return bool(user.memberships) and all(
        can(actor, action, m.organization) for m in user.memberships
    )


def get_visible_or_404(user: User | None, model: type, object_id: int, action: str | None = None):
    """Load one object through the filter; a foreign or unknown id is 404 and audited."""
    obj = None
    if isinstance(object_id, int) and 0 < object_id <= MAX_ID:
        obj = db.session.scalars(
            sa.select(model).where(model.id == object_id, visible_to(user, model, action))
        ).first()
    if obj is None:
        record_denied(user, model.__tablename__, object_id, action or "view")
        abort(404)
    return obj


def require(user: User | None, action: str, organization: Organization | None) -> None:
    """Abort with 403 (audited) unless `user` may do `action` on `organization`'s things."""
    if not can(user, action, organization):
        record_denied(user, "organizations", organization.id if organization else None, action)
        abort(403)


register_visibility(Organization, "organization.view", Organization.id)
register_visibility(
    User,
    "user.view",
    Membership.organization_id,
    through=lambda condition: User.id.in_(sa.select(Membership.user_id).where(condition)),
)
register_visibility(Membership, "user.view", Membership.organization_id)
register_visibility(AuditLog, "audit.view", AuditLog.organization_id)
register_unlisted(Attachment, "a file is streamed through the report or road map it belongs to")


def departments_for(session: Any, user: User, action: str) -> list[Organization]:
    """The departments (управления / отделы образования) where `user` may do `action`."""
    return list(
        session.scalars(
            sa.select(Organization)
            .where(Organization.kind == "department", visible_to(user, Organization, action))
            .order_by(Organization.short_name)
        )
    )
