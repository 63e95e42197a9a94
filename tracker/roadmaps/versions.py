"""A road map's versions: the snapshot a submitted plan freezes (with each action's nesting), the
difference between two versions a reviewer reads, and the map's history from the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.core.models import AuditLog
from tracker.roadmaps.models import ActionStatus, RoadMap, RoadMapVersion

# The columns of the plan that a reviewer compares between versions.
PLAN_FIELDS = (
    "number",
    "text",
    "deadline_text",
    "responsible",
    "expected_result",
    "target_value",
    "resources",
    "level",
    "status",
)


@dataclass
class DiffRow:
    change: str  # added | removed | changed | same
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: list[str] = field(default_factory=list)


def levels(road_map: RoadMap) -> dict[int, int]:
    """How deep each action sits under its parents (0 = top)."""
    by_id = {a.id: a for a in road_map.actions}
    result: dict[int, int] = {}
    for action in road_map.actions:
        depth, parent = 0, action.parent_id
        while parent is not None and parent in by_id and depth < 10:
            depth, parent = depth + 1, by_id[parent].parent_id
        result[action.id] = depth
    return result


def snapshot(road_map: RoadMap) -> dict[str, Any]:
    depth = levels(road_map)
    return {
        "title": road_map.title,
        "period_start": road_map.period_start.isoformat() if road_map.period_start else None,
        "period_end": road_map.period_end.isoformat() if road_map.period_end else None,
        "actions": [
            {
                "id": a.id,
                "number": a.number,
                "text": a.text,
                "deadline_text": a.deadline_text,
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "responsible": a.responsible,
                "expected_result": a.expected_result,
                "target_value": a.target_value,
                "resources": a.resources,
                "level": depth[a.id],
                "status": "dropped" if a.status == ActionStatus.DROPPED else "active",
            }
            for a in road_map.actions
        ],
    }


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DiffRow]:
    """Action by action: what the new version adds, removes or changes against the old one."""
    if old is None:
        return [DiffRow("added", None, a) for a in new["actions"]]
    before = {a["id"]: a for a in old["actions"]}
    rows: list[DiffRow] = []
    for action in new["actions"]:
        previous = before.pop(action["id"], None)
        if previous is None:
            rows.append(DiffRow("added", None, action))
            continue
        rows.append(_compared(previous, action))
    rows.extend(DiffRow("removed", a, None) for a in before.values())
    return rows


def _compared(previous: dict[str, Any], action: dict[str, Any]) -> DiffRow:
    """An action in both versions: dropped now counts as removed."""
    changed = [f for f in PLAN_FIELDS if previous.get(f) != action.get(f)]
    if changed == ["status"] or ("status" in changed and action["status"] == "dropped"):
        return DiffRow("removed", previous, action, changed)
    return DiffRow("changed" if changed else "same", previous, action, changed)


def latest_version(road_map: RoadMap) -> RoadMapVersion | None:
    return road_map.versions[-1] if road_map.versions else None


def review_diff(road_map: RoadMap) -> list[DiffRow]:
    """The version under review against the one before it."""
    versions = road_map.versions
    if not versions:
        return diff(None, snapshot(road_map))
    previous = versions[-2].snapshot if len(versions) > 1 else None
    return diff(previous, versions[-1].snapshot)


def history(session: Session, road_map: RoadMap) -> list[Any]:
    return list(
        session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.object_type == "road_maps", AuditLog.object_id == road_map.id)
            .order_by(AuditLog.at, AuditLog.id)
        )
    )
