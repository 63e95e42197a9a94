"""An item's deadline, read by tracker.core.deadlines from the item's words or its table cell.

The reference day is the document's date: a date without a year takes its year («до 1 марта»
in December is next March), «в течение 10 дней» counts from it. An item without a deadline of
its own takes its parent's. Words that look like a deadline but are not read («незамедлительно»,
«по мере необходимости», «в течение 5 рабочих дней после …») become a warning on the item.
"""

from __future__ import annotations

import logging
import re
from calendar import monthrange
from dataclasses import replace
from datetime import date

from tracker.core.deadline_parsing import find_deadline, parse_deadline, unread_deadline
from tracker.core.deadlines import Deadline, DeadlineError
from tracker.protocols.reader.numbering import Item

log = logging.getLogger(__name__)


def item_deadline(item: Item, document_date: date | None) -> tuple[Deadline | None, list[str]]:
    """(the deadline, warnings about the item's deadline words)."""
    try:
        if item.table_deadline is not None:
            return _from_cell(item.table_deadline, document_date)
        return _from_text(item.text, document_date)
    except Exception:  # a deadline that cannot be read must not stop the document
        log.exception("reading the deadline of %s failed", item.label())
        return None, []


def _from_cell(cell: str, document_date: date | None):
    if not cell.strip():
        return None, []
    try:
        found = parse_deadline(cell, today=document_date)
    except DeadlineError as error:
        log.debug("the cell %r is not a deadline as a whole: %s", cell, error)
        found = find_deadline(cell, today=document_date, document_date=document_date)
        if found is None:
            return None, [str(error)]
    return (found if found.kind != "none" else None), []


def _from_text(text: str, document_date: date | None):
    found = find_deadline(text, today=document_date, document_date=document_date) or _column(
        text, document_date
    )
    if found is not None:
        return found, []
    unread = unread_deadline(text)
    if unread is None:
        return None, []
    words, why = unread
    return None, [f"срок «{words}» не прочитан. {why}"]


def _column(text: str, reference: date | None) -> Deadline | None:
    """«Организация выставки — август 2023 г. — руководители ОО»: a plan's line whose columns are
    set apart by dashes, or a plan's row pasted a cell per line; a column or line that is all
    deadline is the deadline."""
    lines = text.split("\n")
    columns = re.split(r"\s[–—]\s", lines[0])
    if len(columns) < 3:
        columns = [""]  # «в июле – августе» is one phrase, not columns
    for column in [*columns[1:], *lines[1:]]:  # or a line of its own: «март 2022 г.»
        try:
            found = parse_deadline(column.strip(" .;"), today=reference)
        except DeadlineError as error:
            log.debug("not a deadline column %r: %s", column, error)
            continue
        if found.kind != "none":
            return found
    return None


def resolve(item: Item, document_date: date | None) -> list[str]:
    """Set ``item.deadline`` (its own, else its parent's); returns the warnings to show."""
    found, warnings = item_deadline(item, document_date)
    if found is None:
        if item.parent is not None and item.parent.deadline is not None:
            item.deadline = dict(item.parent.deadline)
        return warnings
    found = roll_year(found, document_date)
    if found.due_date is not None and document_date is not None and found.due_date < document_date:
        warnings.append(
            f"срок «{found.text}» ({found.due_date:%d.%m.%Y}) раньше даты документа "
            f"{document_date:%d.%m.%Y}: проверьте год."
        )
    item.deadline = found.to_dict()
    return warnings


def roll_year(found: Deadline, document_date: date | None) -> Deadline:
    """«до 1 марта» written in December means next March: move a year-less date forward."""
    if (
        found.kind not in ("date", "month")
        or found.due_date is None
        or document_date is None
        or found.due_date >= document_date
        or re.search(r"\d{4}|\d{1,2}[./]\d{1,2}[./]\d{2}(?!\d)", found.text)
    ):
        return found
    due = found.due_date
    try:
        if found.kind == "month":  # the month's last day, a year on (29 February included)
            year = due.year + 1
            return replace(found, due_date=date(year, due.month, monthrange(year, due.month)[1]))
        return replace(found, due_date=due.replace(year=due.year + 1))
    except ValueError:  # 29 February has no next year
        log.debug("%s kept in %s: no such day a year later", found.text, found.due_date.year)
        return found
