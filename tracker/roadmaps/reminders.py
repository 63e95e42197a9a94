"""The sweep's reminders of road-map actions (registered with notify): open actions of approved
road maps that are due soon, today, or became overdue yesterday (once: the department's
board shows the rest), to the person responsible or the school's directors."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.core.i18n import _
from tracker.core.tenancy import Organization, User
from tracker.core.urls import external_url
from tracker.notify.models import OutboxMessage
from tracker.notify.reminders import deadlines, plans
from tracker.notify.services import render_mail
from tracker.notify.sources import (
    Due,
    ReminderSource,
    Windows,
    directors_of,
    register_kind,
    register_source,
)
from tracker.roadmaps.models import ActionStatus, RoadMap, RoadMapAction

OPEN_ACTION = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class ActionReminders(ReminderSource):
    name = "roadmap-action"

    def due(self, session: Session, windows: Windows) -> list[Due]:
        planned = plans(windows, escalates=False)
        actions = session.execute(
            sa.select(RoadMapAction, Organization.path, Organization.timezone)
            .join(RoadMap, RoadMap.id == RoadMapAction.road_map_id)
            .join(Organization, Organization.id == RoadMap.organization_id)
            .where(
                Organization.timezone.in_(windows.zones),
                RoadMap.approved_at.is_not(None),
                RoadMapAction.status.in_(OPEN_ACTION),
                RoadMapAction.due_date.in_(deadlines(planned)),
            )
            .order_by(RoadMapAction.id)
            .options(
                selectinload(RoadMapAction.road_map).selectinload(RoadMap.organization),
                selectinload(RoadMapAction.responsible_user),
            )
        ).all()
        heads = directors_of(
            session, {a.road_map.organization_id for a, *_ in actions if a.responsible_user is None}
        )
        found = []
        for action, path, tz in actions:
            for window in windows.of(path, tz):
                for kind, n in planned[window].get(action.due_date, ()):
                    people = (
                        [action.responsible_user]
                        if action.responsible_user is not None and action.responsible_user.active
                        else heads.get(action.road_map.organization_id, [])
                    )
                    if people:
                        found.append(Due(self, action, kind, n, list(people), window))
        return found

    def load(self, session: Session, dues: list[Due]) -> None:
        pass  # the actions are loaded with their road maps already

    def key(self, due: Due, recipient: User | str) -> str:
        who = recipient.id if isinstance(recipient, User) else recipient
        return f"roadmap-action:{due.subject.id}:{due.kind}:{due.nominal.isoformat()}:user:{who}"

    def rows(self, letters: list[tuple[str, Due, User | str]]) -> list[dict[str, Any]]:
        return [self._row(key, due, recipient) for key, due, recipient in letters]

    def _row(self, key: str, due: Due, recipient: User | str) -> dict[str, Any]:
        # The responsible person or the directors: always a user.
        assert isinstance(recipient, User)
        action = due.subject
        subject, text, html = render_mail(
            "roadmap_reminder",
            recipient=recipient,
            action=action,
            road_map=action.road_map,
            days_left=(action.due_date - due.counted_from).days,
            late_since=due.late.missed if due.late else None,
            link=external_url("roadmaps.mark", road_map_id=action.road_map_id, action_id=action.id),
            settings_link=external_url("notify.settings"),
        )
        return {
            "key": key,
            "kind": "roadmap.reminder",
            "recipient_id": recipient.id,
            "recipient_email": recipient.email,
            "road_map_id": action.road_map_id,
            "road_map_action_id": action.id,
            "occurrence": due.occurrence,
            "due_date": action.due_date,
            "subject": subject,
            "body_text": text,
            "body_html": html,
            "send_after": due.window.send_after,
        }

    def counted_as(self, due: Due) -> str:
        return "roadmap"

    def preview(self, due: Due) -> tuple[str, str]:
        action = due.subject
        what = f"{action.road_map.organization.short_name}: {action.text[:80]}"
        return what, external_url("roadmaps.detail", road_map_id=action.road_map_id)

    def explain(self, why: str) -> str:
        return _("мероприятие дорожной карты: %(text)s", text=why)


def _stale(row: OutboxMessage) -> str | None:
    action = row.road_map_action
    if action is None:
        return "мероприятие удалено"
    if action.status not in OPEN_ACTION:
        return "мероприятие выполнено или исключено"
    if action.due_date != row.due_date:
        return "срок мероприятия изменён"
    return None


register_source(ActionReminders())
register_kind("roadmap.reminder", stale=_stale)
for _event in ("submitted", "returned", "approved"):
    register_kind(f"roadmap.{_event}")
