"""E-mails about road maps: submitted (to the department's approvers), returned and approved (to
the school), queued in the transaction of the change."""

from __future__ import annotations

import sqlalchemy as sa

from tracker.core.tenancy import Membership, Organization, User
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.notify.events import is_muted
from tracker.notify.services import queue_mail


def _approvers(road_map) -> list[User]:
    """Department staff above the school: those who may approve its road map."""
    school = road_map.organization
    ancestors = [int(i) for i in school.path.strip("/").split("/") if i and int(i) != school.id]
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Membership)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(
                Membership.organization_id.in_(ancestors),
                Membership.role == "staff",
                User.active.is_(True),
            )
            .distinct()
        )
    )


def _school_people(road_map, version) -> list[User]:
    directors = db.session.scalars(
        sa.select(User)
        .join(Membership)
        .where(
            Membership.organization_id == road_map.organization_id,
            Membership.role == "director",
            User.active.is_(True),
        )
    ).all()
    author = db.session.get(User, version.submitted_by_id) if version.submitted_by_id else None
    return [*directors, *([author] if author else [])]


def road_map_moved(road_map, move: str, version) -> None:
    if is_muted() or move == "revise" or version is None:
        return
    people = _approvers(road_map) if move == "submit" else _school_people(road_map, version)
    event = {"submit": "submitted", "return": "returned", "approve": "approved"}[move]
    comments = {int(k): v for k, v in (version.action_comments or {}).items()}
    noted = [a for a in road_map.actions if a.id in comments]
    for user in {u.id: u for u in people if u.active}.values():
        queue_mail(
            db.session,
            recipient=user,
            kind=f"roadmap.{event}",
            key=f"roadmap:{road_map.id}:{event}:v{version.number}:user:{user.id}",
            template=f"roadmap_{event}",
            context={
                "road_map": road_map,
                "version": version,
                "noted": [(a, comments[a.id]) for a in noted],
                "link": external_url("roadmaps.detail", road_map_id=road_map.id),
                "settings_link": external_url("notify.settings"),
            },
            road_map_id=road_map.id,
        )
