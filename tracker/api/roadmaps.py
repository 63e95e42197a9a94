"""API: road maps, their actions and versions, through the same services and permission filter."""

from __future__ import annotations

from flask import abort, g
from flask_smorest import Blueprint

from tracker.api import authenticate_request
from tracker.api.schemas import (
    RoadMapActionSchema,
    RoadMapActionsSchema,
    RoadMapDetailSchema,
    RoadMapMarkSchema,
    RoadMapReviewSchema,
    RoadMapSchema,
    RoadMapVersionSchema,
)
from tracker.assignments.models import Assignment
from tracker.core.audit import record_denied
from tracker.core.permissions import get_visible_or_404
from tracker.core.tenancy import Organization
from tracker.extensions import db
from tracker.roadmaps import progress, queries, services
from tracker.roadmaps.models import RoadMap, RoadMapAction

blp = Blueprint("api_roadmaps", __name__, url_prefix="/api/v1", description="Дорожные карты")
blp.before_request(authenticate_request)


def _road_map(road_map_id: int) -> RoadMap:
    return get_visible_or_404(g.api_user, RoadMap, road_map_id)


def _with_progress(road_map: RoadMap, p: progress.Progress | None = None) -> RoadMap:
    p = p or progress.progress(db.session, road_map)
    road_map.progress_payload = {
        "total": p.total,
        "done": p.done,
        "on_time": p.on_time,
        "overdue": p.overdue,
        "percent": p.percent,
    }
    return road_map


@blp.route("/roadmaps")
@blp.response(200, RoadMapSchema(many=True))
def list_road_maps():
    """Road maps visible to the user, with progress."""
    rows = queries.overview(db.session, g.api_user, queries.ListFilter())
    return [_with_progress(row.road_map, row.progress) for row in rows]


@blp.route("/roadmaps", methods=["POST"])
@blp.arguments(RoadMapSchema)
@blp.response(201, RoadMapDetailSchema)
def create_road_map(data):
    """A new draft road map of a school (its director or staff), optionally answering an
    assignment."""
    organization = get_visible_or_404(g.api_user, Organization, data.pop("organization_id"))
    assignment_id = data.pop("assignment_id")
    assignment = (
        get_visible_or_404(g.api_user, Assignment, assignment_id) if assignment_id else None
    )
    road_map = services.create_road_map(
        db.session, g.api_user, organization, data.pop("title"), assignment=assignment, **data
    )
    db.session.commit()
    return _with_progress(road_map)


@blp.route("/roadmaps/<int:road_map_id>")
@blp.response(200, RoadMapDetailSchema)
def get_road_map(road_map_id: int):
    return _with_progress(_road_map(road_map_id))


@blp.route("/roadmaps/<int:road_map_id>/versions")
@blp.response(200, RoadMapVersionSchema(many=True))
def versions(road_map_id: int):
    """Every submitted version, frozen as it was sent, with the reviewer's remarks."""
    return _road_map(road_map_id).versions


@blp.route("/roadmaps/<int:road_map_id>/actions", methods=["PUT"])
@blp.arguments(RoadMapActionsSchema)
@blp.response(200, RoadMapDetailSchema)
def put_actions(data, road_map_id: int):
    """Replace the plan: the rows in order; a row with an id updates that action, one without
    is new, an action left out is deleted (or marked dropped once the map was approved)."""
    road_map = _road_map(road_map_id)
    rows = [services.ActionRow(**row) for row in data["actions"]]
    services.save_actions(db.session, road_map, g.api_user, rows)
    db.session.commit()
    return _with_progress(road_map)


@blp.route("/roadmaps/<int:road_map_id>/actions/<int:action_id>/mark", methods=["POST"])
@blp.arguments(RoadMapMarkSchema)
@blp.response(200, RoadMapActionSchema)
def mark(data, road_map_id: int, action_id: int):
    """Mark an action of an approved plan done (date and evidence), in progress or planned."""
    road_map = _road_map(road_map_id)
    action = db.session.get(RoadMapAction, action_id)
    if action is None or action.road_map_id != road_map.id:
        record_denied(g.api_user, "road_map_actions", action_id, "api")
        abort(404)
    services.mark_action(
        db.session,
        action,
        g.api_user,
        data["status"],
        completed_on=data["completed_on"],
        evidence=data["evidence"],
    )
    db.session.commit()
    return action


def _move(road_map_id: int, move: str, **kwargs):
    road_map = _road_map(road_map_id)
    services.transition(db.session, road_map, move, g.api_user, **kwargs)
    db.session.commit()
    return _with_progress(road_map)


@blp.route("/roadmaps/<int:road_map_id>/submit", methods=["POST"])
@blp.response(200, RoadMapDetailSchema)
def submit(road_map_id: int):
    """Send for approval (the school's director); freezes a new version."""
    return _move(road_map_id, "submit")


@blp.route("/roadmaps/<int:road_map_id>/approve", methods=["POST"])
@blp.arguments(RoadMapReviewSchema)
@blp.response(200, RoadMapDetailSchema)
def approve(data, road_map_id: int):
    """Approve (department staff above the school); closes the assignment that asked for it."""
    return _move(road_map_id, "approve", comment=data["comment"])


@blp.route("/roadmaps/<int:road_map_id>/return", methods=["POST"])
@blp.arguments(RoadMapReviewSchema)
@blp.response(200, RoadMapDetailSchema)
def return_(data, road_map_id: int):
    """Return for rework with a comment and/or remarks per action."""
    return _move(
        road_map_id, "return", comment=data["comment"], action_comments=data["action_comments"]
    )


@blp.route("/roadmaps/<int:road_map_id>/revise", methods=["POST"])
@blp.response(200, RoadMapDetailSchema)
def revise(road_map_id: int):
    """Reopen an approved map for changes; it must be approved again as a new version."""
    return _move(road_map_id, "revise")
