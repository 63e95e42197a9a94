"""Saved filters: a user's named filters of the board and the lists, kept per page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tracker.assignments.models import SAVED_FILTER_PAGES, SavedFilter
from tracker.assignments.services import AssignmentError
from tracker.core.errors import NotAllowed
from tracker.core.i18n import _
from tracker.core.tenancy import User

MAX_SAVED_FILTERS = 30


def save_filter(
    session: Session, actor: User, page: str, name: str, args: dict[str, Any]
) -> SavedFilter:
    """Keep the page's validated filter under a name; the same name again replaces it."""
    name = (name or "").strip()
    query = _checked_query(page, name, args)
    mine = sa.select(SavedFilter).where(SavedFilter.user_id == actor.id, SavedFilter.page == page)
    existing = session.scalar(mine.where(SavedFilter.name == name))
    if existing is not None:
        existing.query = query
        session.flush()
        return existing
    kept = session.scalar(sa.select(sa.func.count()).select_from(mine.subquery())) or 0
    if kept >= MAX_SAVED_FILTERS:
        raise AssignmentError(
            _("Можно сохранить не больше %(n)s фильтров — удалите ненужные.", n=MAX_SAVED_FILTERS)
        )
    saved = SavedFilter(user_id=actor.id, page=page, name=name, query=query)
    session.add(saved)
    session.flush()
    return saved


def _checked_query(page: str, name: str, args: dict[str, Any]) -> str:
    """The filter as a query string (without the page number), for a known page and a name."""
    if page not in SAVED_FILTER_PAGES:
        raise AssignmentError(_("Неизвестная страница для фильтра."))
    if not name or len(name) > 80:
        raise AssignmentError(_("Назовите фильтр (не длиннее 80 знаков)."))
    query = urlencode(sorted((k, str(v)) for k, v in args.items() if k != "page"))
    if len(query) > 2000:
        raise AssignmentError(_("Фильтр слишком длинный, чтобы его сохранить."))
    return query


def delete_filter(session: Session, actor: User, saved: SavedFilter) -> None:
    if saved.user_id != actor.id:
        raise NotAllowed(_("Недостаточно прав для этого действия."))
    session.delete(saved)
    session.flush()
