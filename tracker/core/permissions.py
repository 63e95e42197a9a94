"""The one permission filter.

A user's rights come from memberships (role in an organization). Each action lists, per role,
how far the right reaches from the membership's organization:

- OWN: that organization only (a director sees their school);
- SUBTREE: that organization and everything under it (staff see their department's schools);
- BELOW: only what is under it (staff approve their schools' road maps, never their own).

`in_scope` turns that into a SQL condition on an organization-id column; `visible_to` applies it
to each listed model, so pages, exports, the API, feeds and e-mails all filter the same way.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort

from tracker.extensions import db
from tracker.orgs.models import Organization, User

OWN, SUBTREE, BELOW = "own", "subtree", "below"
READERS = {"admin": SUBTREE, "staff": SUBTREE, "director": OWN, "school_staff": OWN}

PERMISSIONS: dict[str, dict[str, str]] = {
    "organization.view": READERS,
    "organization.manage": {"admin": SUBTREE},
    "user.view": {"admin": SUBTREE, "staff": SUBTREE, "director": OWN},
    "user.manage": {"admin": SUBTREE},
    "audit.view": {"admin": SUBTREE},
    "meeting.view": READERS,
    "meeting.manage": {"staff": SUBTREE},
    "assignment.view": READERS,
    "assignment.report": {"director": OWN, "school_staff": OWN},
    "assignment.control": {"staff": SUBTREE},
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
    return any(m.role in grants for m in user.memberships)


def visible_to(user: User | None, model: type, action: str | None = None) -> sa.ColumnElement[bool]:
    """The WHERE clause that limits a listing of `model` to what `user` may see."""
    from tracker.assignments.models import Assignment
    from tracker.meetings.models import Decision, Meeting
    from tracker.orgs.models import Membership

    if model is Organization:
        return in_scope(user, action or "organization.view", Organization.id)
    if model is User:
        return User.id.in_(
            sa.select(Membership.user_id).where(
                in_scope(user, action or "user.view", Membership.organization_id)
            )
        )
    if model is Assignment:
        return in_scope(user, action or "assignment.view", Assignment.organization_id)
    if model is Decision:
        if action is not None and action != "meeting.view":
            return in_scope(user, action, Decision.organization_id)
        visible_assignments = sa.select(Assignment.decision_id).where(
            in_scope(user, "assignment.view", Assignment.organization_id)
        )
        meeting_orgs = sa.select(Meeting.id).where(
            in_scope(user, "meeting.manage", Meeting.organization_id)
        )
        return sa.or_(
            Decision.id.in_(visible_assignments),
            Decision.meeting_id.in_(meeting_orgs),
            in_scope(user, "meeting.manage", Decision.organization_id),
        )
    if model is Meeting:
        if action is not None and action != "meeting.view":
            return in_scope(user, action, Meeting.organization_id)
        visible_decisions = (
            sa.select(Decision.meeting_id)
            .join(Assignment, Assignment.decision_id == Decision.id)
            .where(in_scope(user, "assignment.view", Assignment.organization_id))
        )
        return sa.or_(
            in_scope(user, "meeting.manage", Meeting.organization_id),
            in_scope(user, "audit.view", Meeting.organization_id),
            Meeting.id.in_(visible_decisions),
        )
    from tracker.evaluations.models import Evaluation, ExpertSheet

    if model is ExpertSheet:
        # Staff see their department's sheets; a director, a sheet that scored their school.
        scored = sa.select(Evaluation.sheet_id).where(
            in_scope(user, "evaluation.view", Evaluation.organization_id)
        )
        return sa.or_(
            in_scope(user, action or "evaluation.view", ExpertSheet.organization_id),
            ExpertSheet.id.in_(scored) if action in (None, "evaluation.view") else sa.false(),
        )
    from tracker.cycle.models import Indicator, MonitoringCampaign, campaign_indicators

    if model is MonitoringCampaign and action in (None, "cycle.view"):
        # A school sees the collections it is asked to give values for.
        asked = sa.select(Assignment.decision_id).where(
            in_scope(user, "assignment.view", Assignment.organization_id)
        )
        return sa.or_(
            in_scope(user, "cycle.view", MonitoringCampaign.organization_id),
            MonitoringCampaign.decision_id.in_(asked),
        )
    if model is Indicator and action in (None, "cycle.view"):
        asked = (
            sa.select(campaign_indicators.c.indicator_id)
            .join(MonitoringCampaign, MonitoringCampaign.id == campaign_indicators.c.campaign_id)
            .join(Assignment, Assignment.decision_id == MonitoringCampaign.decision_id)
            .where(in_scope(user, "assignment.view", Assignment.organization_id))
        )
        return sa.or_(
            in_scope(user, "cycle.view", Indicator.organization_id), Indicator.id.in_(asked)
        )
    if getattr(model, "owned_by_user", False):
        user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
        return model.user_id == user_id if user_id is not None else sa.false()
    org_column = getattr(model, "organization_id", None)
    if org_column is None:
        raise TypeError(f"visible_to does not know how to filter {model.__name__}")
    return in_scope(user, action or _default_action(model), org_column)


def wholly_in_scope(actor: User | None, action: str = "user.manage") -> sa.ColumnElement[bool]:
    """Users every one of whose memberships lies where `actor` may do `action`: an administrator
    acts on a person (password, mail, roles) only if no other region's role comes with them."""
    from tracker.orgs.models import Membership

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


def _default_action(model: type) -> str:
    name = model.__tablename__
    if name.startswith("road_map"):
        return "roadmap.view"
    if name in {"expert_sheets", "evaluations"}:
        return "evaluation.view"
    return "cycle.view"


def get_visible_or_404(user: User | None, model: type, object_id: int, action: str | None = None):
    """Load one object through the filter; a foreign or unknown id is 404 and audited."""
    from tracker.core.audit import record_denied
    from tracker.core.models import MAX_ID

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
    from tracker.core.audit import record_denied

    if not can(user, action, organization):
        record_denied(user, "organizations", organization.id if organization else None, action)
        abort(403)
