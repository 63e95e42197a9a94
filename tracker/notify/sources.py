"""What the sweep reminds of, and which letters notify must know: each part registers its
reminder sources, its digest section and its notification kinds beside its models
(`tracker.register_models`), so notify imports no part.

A reminder source answers for a department, a time zone, the department's policy and the
nominal dates of a sweep day: which of its rows call for a reminder, to whom, under which
unique key, and the outbox row (with the letter) of each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
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


@dataclass(frozen=True, eq=False)
class Window:
    """One department's reminders in one time zone for one sweep day: the nominal dates that
    day sends (itself and the days off before it), under the department's policy."""

    department: Organization
    tz: str
    policy: ReminderPolicy
    nominal_days: list[date]
    today: date  # the local day the letters are written and sent
    send_after: datetime
    late: Late | None = None  # a missed day, caught up today


class Windows:
    """A sweep's windows, for a source's one query: the deadlines any of them reminds of, the
    zones, and the windows an organization falls in (by its path and zone)."""

    def __init__(self, windows: list[Window]) -> None:
        self.all = windows
        self.zones = sorted({w.tz for w in windows})
        self._by_place: dict[tuple[int, str], list[Window]] = defaultdict(list)
        self._by_organization: dict[tuple[str, str], list[Window]] = {}
        for window in windows:
            self._by_place[(window.department.id, window.tz)].append(window)

    def of(self, path: str, tz: str) -> list[Window]:
        """The windows of the departments above (or at) the organization with this path."""
        found = self._by_organization.get((path, tz))
        if found is None:
            found = [
                window
                for part in path.strip("/").split("/")
                if part
                for window in self._by_place.get((int(part), tz), ())
            ]
            self._by_organization[(path, tz)] = found
        return found


@dataclass
class Due:
    """One reminder a source found: about `subject` (an assignment, a road-map action; a row
    of its columns until the source `load`s it for a letter)."""

    source: ReminderSource
    subject: Any
    kind: str
    nominal: date
    recipients: list[User | str]
    window: Window

    @property
    def late(self) -> Late | None:
        return self.window.late

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

    def due(self, session: Session, windows: Windows) -> list[Due]:
        """The source's rows with a reminder in these windows, in one query: each row's
        columns as `subject`, its recipients as users (or addresses)."""
        raise NotImplementedError

    def load(self, session: Session, dues: list[Due]) -> None:
        """Replace the subjects of these dues by the objects their letters are written from."""
        raise NotImplementedError

    def key(self, due: Due, recipient: User | str) -> str:
        raise NotImplementedError

    def rows(self, letters: list[tuple[str, Due, User | str]]) -> list[dict[str, Any]]:
        """The outbox rows' columns, with the rendered letters, of (key, due, recipient)."""
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

    def context(self, due: list[Due], waiting: list[Any]) -> dict[str, Any]:
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


def directors_of(session: Session, organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active directors of each organization, in id order, in one query (with their
    memberships, for `notify_mode`)."""
    ids = sorted(set(organization_ids))
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Membership.organization_id, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.organization_id.in_(ids),
            Membership.role == "director",
            User.active.is_(True),
        )
        .order_by(User.id)
        .options(selectinload(User.memberships))
    ).all()
    result: dict[int, list[User]] = defaultdict(list)
    for org_id, user in rows:
        result[org_id].append(user)
    return result


def users(session: Session, ids: set[int | None]) -> dict[int, User]:
    """Users by id (with their memberships, for `notify_mode`), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        u.id: u
        for u in session.scalars(
            sa.select(User).where(User.id.in_(wanted)).options(selectinload(User.memberships))
        )
    }
