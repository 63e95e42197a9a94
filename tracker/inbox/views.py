"""The inbox is the home page: its values join the home page's registered sections."""

from typing import Any

from sqlalchemy.orm import Session

from tracker.core.tenancy import User
from tracker.core.views import register_home_section
from tracker.inbox.queries import inbox_for

# Sections whose rows take the board's bulk actions (the same toolbar and service).
BULK_SECTIONS = ("reports", "extensions", "overdue", "week")


def home_inbox(session: Session, user: User) -> dict[str, Any]:
    from tracker.assignments.views import bulk_form
    from tracker.core.permissions import can_anywhere

    inbox = inbox_for(session, user)
    may_bulk = (
        inbox.role == "staff"
        and can_anywhere(user, "assignment.control")
        and any(s.rows for s in inbox.sections if s.key in BULK_SECTIONS)
    )
    return {
        "inbox": inbox,
        "bulk_form": bulk_form() if may_bulk else None,
        "bulk_sections": BULK_SECTIONS,
    }


register_home_section("inbox", home_inbox)
