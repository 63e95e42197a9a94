"""Items of a block of directives: numbered items and sub-items, dashes, paragraphs, table rows.

Lines that open no item continue the one above («Срок: …» included). A line that only names an
addressee («Руководителям образовательных организаций:») is a heading: the items under it are
addressed to it. A heading item whose dashes are parts of one obligation («1.2. Осуществлять в
системе: – анализ …; – сопоставление …») keeps them in its own text: one task, not one per dash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tracker.core.deadline_parsing import find_deadline
from tracker.protocols.matching import fold
from tracker.protocols.reader.cues import (
    CONTINUATION,
    CONTROL_START,
    EXECUTOR_VERBS,
    HEADING_NUMBER,
    NOT_TASKS,
)
from tracker.protocols.reader.lines import Line
from tracker.protocols.reader.numbering import Item, attach, item_marker
from tracker.protocols.reader.words import (
    NAME_ONLY,
    addressee_start,
    first_infinitive,
    has_infinitive,
    starts_with_infinitive,
)

Event = tuple[str, Any]  # ("heading", words) | ("item", Item)
_TABLE_TEXT = re.compile(r"содержани|решени|мероприяти|поручени|наименовани|вопрос|пункт")


@dataclass
class _Block:
    label: str | None
    has_markers: bool
    items: list[Item] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    stack: list[Item] = field(default_factory=list)
    current: Item | None = None
    heading: str | None = None
    table: dict[str, int] | None = None
    table_width: int = 0
    previous_number: str | None = None

    def section(self) -> str | None:
        parts = [p for p in (self.label, self.heading) if p]
        return " / ".join(parts) if parts else None

    def add(self, item: Item) -> None:
        parent = attach(item, self.stack)
        item.parent = parent
        if parent is not None:
            parent.children.append(item)
        self.items.append(item)
        self.events.append(("item", item))
        self.current = item
        if item.style in ("num", "table") and item.number:
            self.previous_number = item.number

    def line(self, line: Line, following: list[Line]) -> None:
        if self._table_line(line):
            return
        self.table = None
        text = line.text
        marker = item_marker(text, self.previous_number)
        if marker is not None and marker.rest:
            number = marker.number if marker.style in ("num", "paren", "letter") else None
            self.add(Item(number, marker.style, [marker.rest], self.section()))
        elif self.current is not None and CONTINUATION.match(text):
            self.current.lines.append(text)
        elif self._is_heading(text, following):
            self._heading(text)
        elif self.current is None or self._starts_paragraph(text):
            self.add(Item(None, "para", [text], self.section()))
        else:
            self.current.lines.append(text)

    def _table_line(self, line: Line) -> bool:
        """A table's header, one of its rows or a section spanning it; False for other lines."""
        columns = table_header(line.cells)
        if columns is not None:
            self.table, self.table_width = columns, len(line.cells)
            return True
        if self.table is None:
            return False
        if 3 <= len(line.cells) <= self.table_width:
            self._table_row(line.cells + [""] * (self.table_width - len(line.cells)))
            return True
        if _table_section(line.text):
            self._heading(line.text)  # «II. Кадровые условия» spanning the table
            return True
        return False

    def _heading(self, text: str) -> None:
        self.heading = text.rstrip(" :").strip() or None
        self.events.append(("heading", self.heading or ""))
        self.stack = []
        self.current = None

    def _starts_paragraph(self, text: str) -> bool:
        if not self.has_markers and text[:1].isupper():
            return True
        current = self.current
        return (
            current is not None
            and current.style == "para"
            and addressee_start(text)
            and first_infinitive(text) is not None
        )

    def _table_row(self, cells: list[str]) -> None:
        assert self.table is not None
        text = cells[self.table["text"]].strip()
        written = cells[self.table["number"]].strip() if "number" in self.table else ""
        if not text:
            if written and not re.fullmatch(r"[\d.)]+", written):
                self._heading(written)  # «I. Организационные мероприятия» spanning the row
            return
        number = written.rstrip(".)")
        number = number if re.fullmatch(r"[1-9]\d?(?:\.[1-9]\d?)*", number) else None
        item = Item(number, "table" if number else "para", [text], self.section())
        item.table_executors = cells[self.table["executor"]]
        item.table_deadline = cells[self.table["due"]]
        self.add(item)

    def _is_heading(self, text: str, following: list[Line]) -> bool:
        if len(text) > 300 or NAME_ONLY.fullmatch(text) or self._after_colon():
            return False
        current = self.current
        next_text = next((line.text for line in following if line.text), "")
        next_is_item = item_marker(next_text, self.previous_number) is not None
        addressee = HEADING_NUMBER.sub("", text)
        if addressee_start(addressee) and not has_infinitive(addressee):
            return text.endswith(":") or next_is_item or current is None
        return text.endswith(":") and self._colon_heading(text, next_is_item)

    def _after_colon(self) -> bool:
        """The current item's last line ends with a colon: what follows is its content."""
        current = self.current
        return current is not None and bool(current.lines) and current.lines[-1].endswith(":")

    def _colon_heading(self, text: str, next_is_item: bool) -> bool:
        """A line ending with a colon heads what follows: at the start, or in capitals after a
        finished sentence, before an item."""
        current = self.current
        if current is None:
            return True
        last = current.lines[-1] if current.lines else ""
        return text[:1].isupper() and last.endswith((".", ";", "!")) and next_is_item


def _table_section(text: str) -> bool:
    return bool(HEADING_NUMBER.match(text)) and len(text) <= 200 and not has_infinitive(text)


def block_items(lines: list[Line], label: str | None) -> tuple[list[Item], list[Event]]:
    """Items of one block in order, and the events (items and headings) executors follow."""
    has_markers = any(
        (marker := item_marker(line.text)) is not None and len(line.cells) < 3 and marker.rest
        for line in lines
    )
    block = _Block(label, has_markers)
    for position, line in enumerate(lines):
        if line.text:
            block.line(line, lines[position + 1 :])
    lift_shared_deadline(block.items)
    items = fold_bullets(block.items)
    kept = {id(item) for item in items}
    events = [e for e in block.events if e[0] == "heading" or id(e[1]) in kept]
    return items, events


def lift_shared_deadline(items: list[Item]) -> None:
    """«3. Специалисту …: – обобщить …; – подготовить …. Срок: до 1 марта» – a «Срок» line after
    the last of several dashes, none of which has a deadline, is their heading's."""
    for item in items:
        dashes = [c for c in item.children if c.style in ("dash", "bullet")]
        if len(dashes) < 2 or len(dashes) != len(item.children):
            continue
        last = dashes[-1]
        if len(last.lines) < 2 or not re.match(r"(?i)срок", last.lines[-1]):
            continue
        if any(find_deadline(d.text) for d in dashes[:-1]):
            continue
        item.lines.append(last.lines.pop())


def fold_bullets(items: list[Item]) -> list[Item]:
    """An item «… осуществлять: – анализ; – сопоставление» whose dashes carry no deadlines of
    their own keeps them in its text; its dashes are no items of their own."""
    dropped: set[int] = set()
    for item in items:
        if id(item) in dropped or not _one_obligation(item):
            continue
        for child in item.children:
            item.lines.append(f"– {child.text}")
            dropped.update(id(d) for d in _descendants(child))
        item.children = []
    return [item for item in items if id(item) not in dropped]


def _one_obligation(item: Item) -> bool:
    children = item.children
    if not children or any(c.style not in ("dash", "bullet") for c in children):
        return False
    head = item.text
    if not head.rstrip().endswith(":"):
        return False
    head = head.rstrip(" :")
    if not has_infinitive(head):
        return False  # «Руководителям ОО:» – each dash is a task of its own
    return not any(find_deadline(child.text) for child in children)


def _descendants(item: Item) -> list[Item]:
    found = [item]
    for child in item.children:
        found.extend(_descendants(child))
    return found


def table_header(cells: list[str]) -> dict[str, int] | None:
    """Column positions of a decisions table's header row, or None if the row is not one."""
    if len(cells) < 3:
        return None
    folded = [fold(c) for c in cells]
    executor = _first_column(folded, r"ответствен|исполнител")
    due = _first_column(folded, r"^срок")
    if executor is None or due is None or any(len(c) > 60 for c in folded):
        return None
    number = _first_column(folded, r"^№|п/п|^n$")
    text = _text_column(folded, {executor, due, number})
    if text is None:
        return None
    columns = {"executor": executor, "due": due, "text": text}
    if number is not None:
        columns["number"] = number
    return columns


def _first_column(folded: list[str], pattern: str) -> int | None:
    return next((k for k, c in enumerate(folded) if re.search(pattern, c)), None)


def _text_column(folded: list[str], taken: set[int | None]) -> int | None:
    """The column that names the measure, else the first one not taken by another field."""
    free = [k for k in range(len(folded)) if k not in taken]
    named = [k for k in free if _TABLE_TEXT.search(folded[k])]
    return (named or free or [None])[0]


# --- directives without a cue word ------------------------------------------------------------


def is_directive(text: str) -> bool:
    """Does an item's text order something («Провести …», «Руководителям ОО обеспечить …»,
    «Рекомендовать …», «Информацию принять к сведению»)?"""
    folded = fold(text)
    if EXECUTOR_VERBS.match(folded) or starts_with_infinitive(text) or CONTROL_START.match(folded):
        return True
    if any(pattern.search(folded) for pattern, always in NOT_TASKS if always):
        return True
    return addressee_start(text) and (text.rstrip().endswith(":") or has_infinitive(text))


def directives_start(lines: list[Line], states: list[str], plan: bool = False) -> int | None:
    """Where a numbered list of directives (or a table of measures) begins outside any cued
    section: the line of its «1.» whose items mostly order something; None if there is none.
    In a plan (``plan``) the measures are named, not ordered («1. Проведение семинара — март»):
    its first numbered list is taken."""
    for index, line in enumerate(lines):
        if states[index] not in ("header", "body", "attendees") or not line.text:
            continue
        if table_header(line.cells) is not None:
            return index
        if _opens_list(line.text) and _directives_run(_top_level_run(lines, index), plan):
            return index
    return None


def _opens_list(text: str) -> bool:
    """«1.» or «1)»: the first item of a numbered list."""
    marker = item_marker(text)
    return marker is not None and marker.number == "1" and marker.style in ("num", "paren")


def _directives_run(texts: list[str], plan: bool) -> bool:
    """Most items of the numbered run order something (in a plan: it has two items or more)."""
    directives = sum(1 for text in texts if is_directive(text))
    return (directives and directives >= 0.6 * len(texts)) or (plan and len(texts) > 1)


def _top_level_run(lines: list[Line], start: int) -> list[str]:
    texts: list[str] = []
    expected = 1
    for line in lines[start : start + 200]:
        marker = item_marker(line.text, str(expected - 1) if expected > 1 else None)
        if marker is None or marker.number is None or "." in marker.number:
            continue
        if marker.number != str(expected):
            break
        texts.append(marker.rest)
        expected += 1
    return texts
