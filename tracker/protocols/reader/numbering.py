"""Item numbers: «1.», «1.1.», «1.1.1», «1)», «а)», dashes and bullets, and which item is whose
parent.

A numbered item's parent is the item whose number is its prefix («2.1» under «2»). A «1)» or
«а)» item under a numbered one takes a reference of its own that cannot collide with the
top-level items: «2.1)» is «1)» under «2». A dash's parent is the item above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tracker.protocols.reader.result import Executor
from tracker.protocols.reader.words import BULLETS, DASH

_ITEM_NUMBER = re.compile(r"^(?P<num>[1-9]\d?(?:\.(?:[1-9]\d?|0))*)(?P<punct>\.|\))?(?P<rest>.*)$")
_ITEM_LETTER = re.compile(r"^(?P<num>[а-яa-z])\)\s*(?P<rest>\S.*)$")
_ITEM_DASH = re.compile(rf"^[{DASH}]+\s*(?P<rest>[^\s{DASH}].*)$")
_ITEM_BULLET = re.compile(rf"^[{re.escape(BULLETS)}]\s*(?P<rest>\S.*)$")
# «1 Иванцовой Л.Л. подготовить …»: a number without a dot, taken only in sequence
_BARE_NUMBER = re.compile(r"^(?P<num>[1-9]\d?)\s+(?P<rest>[А-ЯЁ«][^\n]*)$")


@dataclass(frozen=True)
class Marker:
    number: str | None
    style: str  # num | paren | letter | dash | bullet
    rest: str


@dataclass
class Item:
    """One item of a decisions block, as the lines give it."""

    number: str | None
    style: str  # num | paren | letter | dash | bullet | para | table
    lines: list[str]
    section: str | None
    parent: Item | None = None
    children: list[Item] = field(default_factory=list)
    table_executors: str | None = None
    table_deadline: str | None = None
    # filled while resolving
    executors: list[Executor] = field(default_factory=list)
    group: str | None = None
    deadline: dict[str, Any] | None = None
    role: str = "task"  # task | heading | note (no report) | control
    warnings: list[str] = field(default_factory=list)
    own_executors: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    def label(self) -> str:
        if self.number:
            return f"Пункт {self.number}"
        words = " ".join(self.text.split())
        return f"Пункт «{words[:40]}{'…' if len(words) > 40 else ''}»"


def item_marker(text: str, previous: str | None = None) -> Marker | None:
    """The item a line opens, or None. ``previous`` is the number of the item before: a bare
    «2 …» without a dot opens an item only right after «1» (or as the first one)."""
    found = _ITEM_NUMBER.match(text)
    if found:
        return _numbered(found, previous)
    found = _ITEM_LETTER.match(text)
    if found:
        return Marker(found["num"], "letter", found["rest"].strip())
    found = _ITEM_DASH.match(text)
    if found:
        return Marker(None, "dash", found["rest"].strip())
    found = _ITEM_BULLET.match(text)
    if found:
        return Marker(None, "bullet", found["rest"].strip())
    return None


def _numbered(found: re.Match[str], previous: str | None) -> Marker | None:
    number, punct, rest = found["num"], found["punct"], found["rest"]
    parts = number.split(".")
    if any(len(p) > 1 and p.startswith("0") for p in parts):
        return None
    if punct is None and not rest.startswith((" ", "\t")):
        return None
    if punct is None and len(parts) == 1 and not _in_sequence(number, previous, rest):
        return None
    stripped = rest.strip()
    if not _starts_text(stripped):
        return None
    return Marker(number, "paren" if punct == ")" else "num", stripped)


def _starts_text(rest: str) -> bool:
    """After a number, words: not a figure or a sign («1.5 %», «3,2», «1/2» are no items)."""
    return bool(rest) and not rest[0].isdigit() and rest[0] not in "%,.:/"


def _in_sequence(number: str, previous: str | None, rest: str) -> bool:
    if not _BARE_NUMBER.match(f"{number} {rest.strip()}"):
        return False
    expected = "1" if previous is None else str(int(previous.split(".")[0]) + 1)
    return number == expected


def attach(item: Item, stack: list[Item]) -> Item | None:
    """Find the item's parent and update the chain of open items (``stack``) in place."""
    if item.style in ("num", "table") and item.number:
        return _attach_numbered(item, stack)
    if item.style in ("para", "table"):
        stack.clear()
        stack.append(item)
        return None
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth].style == item.style:
            del stack[depth:]
            break
    parent = stack[-1] if stack else None
    stack.append(item)
    return parent


def _attach_numbered(item: Item, stack: list[Item]) -> Item | None:
    """«1.2» hangs under the nearest open «1»; a number nothing open prefixes starts afresh."""
    for depth in range(len(stack) - 1, -1, -1):
        candidate = stack[depth]
        if (
            candidate.style in ("num", "table")
            and candidate.number
            and item.number.startswith(candidate.number + ".")
        ):
            del stack[depth + 1 :]
            stack.append(item)
            return candidate
    stack.clear()
    stack.append(item)
    return None


def own_number(item: Item) -> str | None:
    """The number shown for an item: «2.1)» for «1)» under «2», «а» for «а)» at the top."""
    if item.style not in ("paren", "letter") or not item.number:
        return item.number
    parent = item.parent
    while parent is not None and not parent.number:
        parent = parent.parent
    if parent is None:
        return item.number
    return f"{(own_number(parent) or '').rstrip(')')}.{item.number})"


def reference(item: Item) -> str:
    """The item's number; for an item without one, its index path («1.2/3»: 3rd under 1.2)."""
    number = own_number(item)
    if number:
        return number
    siblings = item.parent.children if item.parent is not None else []
    position = next((k for k, s in enumerate(siblings, start=1) if s is item), 1)
    base = reference(item.parent) if item.parent is not None else ""
    return f"{base}/{position}"
