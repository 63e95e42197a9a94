"""The inbox is the home page: its values join the home page's registered sections."""

from typing import Any

from sqlalchemy.orm import Session

from tracker.core.tenancy import User
from tracker.core.views import register_home_section
from tracker.inbox.queries import inbox_for


def home_inbox(session: Session, user: User) -> dict[str, Any]:
    return {"inbox": inbox_for(session, user)}


register_home_section("inbox", home_inbox)
