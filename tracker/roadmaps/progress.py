"""Execution of road maps: how many actions count, are done, done on time and overdue (one
grouped query for many maps), and which actions of an approved plan are overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from tracker.core import clock
from tracker.roadmaps.models import ActionStatus, RoadMap, RoadMapAction


@dataclass
class Progress:
    total: int = 0
    done: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def _leaf_clause() -> sa.ColumnElement[bool]:
    """An action that counts: not dropped and not a section with live sub-actions."""
    child = aliased(RoadMapAction)
    return sa.and_(
        RoadMapAction.status != ActionStatus.DROPPED,
        ~sa.exists().where(
            child.parent_id == RoadMapAction.id, child.status != ActionStatus.DROPPED
        ),
    )


def progress_for(session: Session, road_map_ids: list[int], today: date) -> dict[int, Progress]:
    """Progress of many maps in one grouped query (the department's view)."""
    if not road_map_ids:
        return {}
    done = RoadMapAction.status == ActionStatus.DONE
    on_time = sa.and_(
        done,
        sa.or_(
            RoadMapAction.due_date.is_(None), RoadMapAction.completed_on <= RoadMapAction.due_date
        ),
    )
    # Execution is tracked against an approved plan: a draft's dates are not yet promises.
    overdue = sa.and_(~done, RoadMapAction.due_date < today, RoadMap.approved_at.is_not(None))
    rows = session.execute(
        sa.select(
            RoadMapAction.road_map_id,
            sa.func.count(),
            sa.func.count().filter(done),
            sa.func.count().filter(on_time),
            sa.func.count().filter(overdue),
        )
        .join(RoadMap, RoadMap.id == RoadMapAction.road_map_id)
        .where(RoadMapAction.road_map_id.in_(road_map_ids), _leaf_clause())
        .group_by(RoadMapAction.road_map_id)
    ).all()
    result = {i: Progress() for i in road_map_ids}
    for map_id, total, n_done, n_on_time, n_overdue in rows:
        result[map_id] = Progress(total, n_done, n_on_time, n_overdue)
    return result


def progress(session: Session, road_map: RoadMap) -> Progress:
    today = clock.today(road_map.organization.timezone)
    return progress_for(session, [road_map.id], today)[road_map.id]


def overdue_actions(road_map: RoadMap) -> set[int]:
    if road_map.approved_at is None:
        return set()
    today = clock.today(road_map.organization.timezone)
    return {
        a.id
        for a in road_map.actions
        if a.status not in (ActionStatus.DONE, ActionStatus.DROPPED)
        and a.due_date is not None
        and a.due_date < today
    }
