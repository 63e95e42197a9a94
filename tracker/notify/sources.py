"""What the sweep reminds of, and which letters notify must know: each part registers its
reminder sources, its digest section and its notification kinds beside its models
(`tracker.register_models`), so notify imports no part.

A reminder source answers for a department, a time zone, the department's policy and the
nominal dates of a sweep day: which of its rows call for a reminder, to whom, under which
unique key, and the outbox row (with the letter) of each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from tracker.core.tenancy import Membership, Organization, User

if TYPE_CHECKING:
    from tracker.notify.models import OutboxMessage, ReminderPolicy


@dataclass(frozen=True)
class Late:
    """A reminder of a missed sweep day, written at a later sweep (see `reminders.catch_up`)."""

    missed: date  # the working day its sweep did not run
    today: date  # the day it is written and sent instead


@dataclass
class Due:
    """One reminder a source found: about `subject` (an assignment, a road-map action)."""

    source: ReminderSource
    subject: Any
    kind: str
    nominal: date
    recipients: list[User | str]
    late: Late | None = None

    @property
    def occurrence(self) -> str:
        """`kind:nominal date`, and `:late` for a letter of a missed day."""
        return f"{self.kind}:{self.nominal.isoformat()}" + (":late" if self.late else "")

    @property
    def counted_from(self) -> date:
        """The day the letter's «days left» counts from."""
        return self.late.today if self.late else self.nominal


class ReminderSource:
    """A part's rows that the sweep reminds of. Subclasses fill in every method."""

    name: str
    # A recipient who chose the daily digest finds these in it (see `register_digest`).
    in_digest = False

    def due(
        self,
        session: Session,
        department: Organization,
        tz: str,
        policy: ReminderPolicy,
        nominal_days: list[date],
    ) -> list[Due]:
        """Rows under the department, in zone `tz`, with a reminder on these nominal dates."""
        raise NotImplementedError

    def key(self, due: Due, recipient: User | str) -> str:
        raise NotImplementedError

    def row(self, key: str, due: Due, recipient: User | str, send_after: datetime) -> dict:
        """The outbox row's columns, with the rendered letter."""
        raise NotImplementedError

    def counted_as(self, due: Due) -> str:
        """The sweep's tally the reminder counts in («due», «overdue», «roadmap»…)."""
        raise NotImplementedError

    def preview(self, due: Due) -> tuple[str, str]:
        """What the letter is about and the page it links to, for the administrator's preview."""
        raise NotImplementedError

    def explain(self, why: str) -> str:
        """The policy's rule in words, as the preview says it for this source."""
        return why


SOURCES: dict[str, ReminderSource] = {}


def register_source(source: ReminderSource) -> None:
    SOURCES[source.name] = source


class DigestSection:
    """The daily digest's part-specific lines: the due items grouped, and what waits for the
    recipient's action. One part registers it."""

    def waiting(self, session: Session) -> dict[int, list[Any]]:
        """What waits for each user (by id)."""
        raise NotImplementedError

    def context(self, due: list[Due], waiting: list[Any], day: date) -> dict[str, Any]:
        """The digest template's `due`, `groups`, `waiting` and `link_for`."""
        raise NotImplementedError


@dataclass
class _Digest:
    section: DigestSection | None = None


DIGEST = _Digest()


def register_digest(section: DigestSection) -> None:
    DIGEST.section = section


@dataclass(frozen=True)
class Kind:
    """A kind of letter (`OutboxMessage.kind`) whose handling notify must know."""

    name: str
    # A letter to an executor about one assignment: a reply to it reports on the assignment.
    replyable: bool = False
    # Why the letter should not go out any more (the row it reminds of moved on), or None.
    stale: Callable[[OutboxMessage], str | None] | None = field(default=None, compare=False)


KINDS: dict[str, Kind] = {}


def register_kind(name: str, **options: Any) -> None:
    KINDS[name] = Kind(name, **options)


def replyable_kinds() -> frozenset[str]:
    return frozenset(k.name for k in KINDS.values() if k.replyable)


def directors(session: Session, organization_ids: set[int]) -> dict[int, list[User]]:
    """The active directors of each organization (with their memberships, for `notify_mode`)."""
    if not organization_ids:
        return {}
    rows = session.execute(
        sa.select(Membership.organization_id, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organization_id.in_(organization_ids),
            Membership.role == "director",
            User.active.is_(True),
        )
        .options(selectinload(User.memberships))
    ).all()
    result: dict[int, list[User]] = defaultdict(list)
    for org_id, user in rows:
        result[org_id].append(user)
    return result
