"""What the reader returns: a draft of the document, JSON-serializable through ``to_dict``.

The shape is the API's (tracker.api.schemas.ProtocolReadingSchema); fields are only ever added.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Candidate:
    organization_id: int
    name: str
    score: float


@dataclass
class Executor:
    text: str  # the words of the document («Руководителям ОО», «МКУ «ИМЦ» (Суслова Е.А.)»)
    organization_id: int | None  # set when matched in the directory
    kind: str  # organization | group | person | unmatched | ambiguous
    candidates: list[Candidate] = field(default_factory=list)


@dataclass
class Attendee:
    name: str | None
    position: str | None
    organization_id: int | None
    text: str


@dataclass
class AgendaEntry:
    number: str | None
    title: str
    speaker: str | None
    heard: str | None


@dataclass
class Decision:
    number: str | None  # «1.2», «2.1)» for «1)» under «2», None for a dash
    parent: str | None  # the parent's number, or its index path («1.2/3») if it has none
    section: str | None  # «Вопрос 2. …» / the heading the item sits under
    text: str
    executors: list[Executor]
    executor_group: str | None  # «Руководителям ОО» when the executors are a group
    deadline: dict[str, Any] | None  # tracker.core.deadlines.Deadline.to_dict()
    needs_report: bool  # False: a heading, «принять к сведению», «утвердить …», control
    warnings: list[str] = field(default_factory=list)  # what could not be read in this item


@dataclass
class Reading:
    kind: str | None  # the meeting kind it becomes: protocol | extract | reference | order | …
    document: str | None  # protocol | extract | reference | prikaz | resolution | order | …
    number: str | None
    date: str | None  # ISO date
    title: str | None
    place: str | None
    chair: str | None  # for an act: who signed it
    secretary: str | None
    controller: str | None  # «Контроль … возложить на X»: X; «оставляю за собой»: the signer
    attendees: list[Attendee] = field(default_factory=list)
    agenda: list[AgendaEntry] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The reading as plain JSON types (shallow: executors and deadlines are dicts already)."""
        result = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("attendees", "agenda", "decisions"):
            result[name] = [_plain(entry) for entry in result[name]]
        result["warnings"] = list(self.warnings)
        return result


def _plain(entry: Any) -> dict[str, Any]:
    found = {f.name: getattr(entry, f.name) for f in fields(entry)}
    if "executors" in found:
        found["executors"] = [
            {**vars(e), "candidates": [vars(c).copy() for c in e.candidates]}
            for e in found["executors"]
        ]
        found["deadline"] = dict(found["deadline"]) if found["deadline"] else None
        found["warnings"] = list(found["warnings"])
    return found


def empty(warning: str) -> dict[str, Any]:
    return Reading(
        None, None, None, None, None, None, None, None, None, warnings=[warning]
    ).to_dict()
