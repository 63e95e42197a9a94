"""Which items ask someone for a report.

An item is a *task* unless it is
- a *heading*: its sub-items carry the orders («2. Руководителям ОУ:», «3. Утвердить:»);
- a *note*: a decision that needs no report («Информацию … принять к сведению», «Утвердить
  прилагаемый план», «Признать утратившим силу», «Настоящее решение вступает в силу …»;
  cues.NOT_TASKS), its sub-items too unless they order something of their own;
- *control*: «Контроль за исполнением … возложить на X» names the controller, not an executor.
"""

from __future__ import annotations

from tracker.protocols.matching import fold
from tracker.protocols.reader.cues import CONTROL, CONTROL_START, NOT_TASKS
from tracker.protocols.reader.numbering import Item
from tracker.protocols.reader.words import (
    addressee_start,
    has_infinitive,
    starts_with_infinitive,
    trim,
)

SELF = "self"  # «Контроль … оставляю за собой»: the signer controls


def controller(text: str) -> str | None:
    """The controller an item names («возложить на X» -> X, «оставляю за собой» -> SELF)."""
    folded = " ".join(fold(text).split())
    if not CONTROL_START.match(folded) and not folded.startswith("контроль"):
        return None
    found = CONTROL.match(folded)
    if found is None:
        return None
    if found["self"]:
        return SELF
    written = " ".join(text.split())
    return trim(written[found.start("on") :]) or None  # trim keeps «И.И.» whole


def role(item: Item, named: bool) -> str:
    """task | heading | note | control for an item; ``named``: it has executors (own or
    inherited)."""
    text = item.text
    if controller(text) is not None:
        return "control"
    if _not_a_task(text, named):
        return "heading" if item.children and text.rstrip().endswith(":") else "note"
    if _under_a_note(item):
        return "note"
    if item.children and (text.rstrip().endswith(":") or not has_infinitive(text)):
        return "heading"
    return "task"


def _not_a_task(text: str, named: bool) -> bool:
    """Words that give no task («принять к сведению»); some only when nobody is named."""
    folded = fold(" ".join(text.split()))
    return any((always or not named) and pattern.search(folded) for pattern, always in NOT_TASKS)


def _under_a_note(item: Item) -> bool:
    """«3. Утвердить: 3.1. положение …; 3.2. состав …»: the sub-items are what is approved."""
    parent = item.parent
    if parent is None or parent.role not in ("note", "heading"):
        return False
    if parent.role == "heading" and not _note_heading(parent):
        return False
    text = item.text
    return not (starts_with_infinitive(text) or (addressee_start(text) and has_infinitive(text)))


def _note_heading(item: Item) -> bool:
    folded = fold(" ".join(item.text.split()))
    return any(pattern.search(folded) for pattern, _always in NOT_TASKS)
