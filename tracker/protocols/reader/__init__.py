"""Reading an administrative document's text into a draft of decisions.

Protocols of any meeting, extracts from them, orders («ПРИКАЗЫВАЮ:»), decrees and directives
(«постановляю:»), decisions of councils, dumas and collegia («решила:», «Р Е Ш И Л:», «РЕШАЕТ:»),
letters («просит:») and plans pasted as text. Pure logic: no Flask, no database.
``read_protocol`` never raises: what it cannot read is reported in ``warnings`` (Russian, shown to
the user as is), document-wide and on each decision.

The reading follows the files of this package:
  lines.py      the text as lines, tables split into cells, letter-spaced words joined
  numbering.py  item numbers and which item is whose parent
  cues.py       the cue words: titles of documents, sections, directives, what is no task
  scan.py       one pass over the lines: header, attendees, agenda, «СЛУШАЛИ», directives
  header.py     kind, number, date, place and title of the document
  agenda.py     attendees, agenda questions, what was heard
  items.py      the items of a block of directives
  executors.py  who must act on each item
  tasks.py      which items need a report, and the controller
  deadlines.py  each item's deadline
  result.py     the dataclasses of the result
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from tracker.protocols.matching import MATCHED, Directory
from tracker.protocols.reader import deadlines, header, tasks
from tracker.protocols.reader.agenda import attendees, heard_into_agenda
from tracker.protocols.reader.cues import MEETING_KIND
from tracker.protocols.reader.executors import Executors
from tracker.protocols.reader.items import block_items, directives_start
from tracker.protocols.reader.lines import MAX_TEXT, Line, split_lines
from tracker.protocols.reader.numbering import Item, own_number, reference
from tracker.protocols.reader.result import AgendaEntry, Attendee, Decision, Reading, empty
from tracker.protocols.reader.scan import Scan, heard_index

__all__ = ["MAX_TEXT", "read_protocol"]

log = logging.getLogger(__name__)


def read_protocol(text: str, directory: Directory | None = None) -> dict[str, Any]:
    """Read a document's text into a JSON-serializable draft; never raises.

    ``directory`` matches executors and attendees to organizations (none: left unmatched).
    Deadlines are read against the document's own date: «до 1 марта» takes its year, «в течение
    10 дней» counts from it; without a date they are left to the user with a warning (never
    dated from today).
    """
    if not isinstance(text, str):
        return empty("Текст протокола не получен.")
    try:
        return _Reader(text, directory).read().to_dict()
    except Exception:  # the contract: a draft with a warning, never an error page
        log.exception("reading a document of %s characters failed", len(text))
        return empty(
            "Не удалось разобрать текст протокола: проверьте, что это текст протокола, "
            "и заполните поля вручную."
        )


class _Reader:
    def __init__(self, text: str, directory: Directory | None):
        self.lines = split_lines(text)
        self.directory = directory
        self.warnings: list[str] = []
        self.executors = Executors(directory, self.warn)
        self.document_date: date | None = None
        if len(text) > MAX_TEXT:
            self.warn(
                f"Текст длиннее {MAX_TEXT // 1_000_000} млн символов: прочитано только начало. "
                "Загрузите протокол без приложений."
            )

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def read(self) -> Reading:
        scan = Scan(self.lines).run()
        if not scan.blocks:
            written = [line for line in self.lines if line.text]
            plan = header.document_kind(written)[0] == "plan"
            start = directives_start(self.lines, scan.states, plan)
            if start is not None:
                scan = Scan(self.lines, forced_start=start).run()
        reading = self._header(scan)
        reading.attendees = [Attendee(**a) for a in attendees(scan.attendee_lines, self._org)]
        reading.agenda = self._agenda(scan)
        reading.decisions = self._decisions(scan, reading)
        reading.chair, reading.secretary = _people(scan)
        if reading.controller == tasks.SELF:
            reading.controller = reading.chair
        reading.warnings = self.warnings
        return reading

    # --- header -------------------------------------------------------------------------------

    def _header(self, scan: Scan) -> Reading:
        written = [line for line in self.lines if line.text]
        end = scan.header_end if scan.header_end is not None else len(self.lines)
        lines = [line for line in self.lines[:end] if line.text][:40]
        document, kind_line = header.document_kind(written)
        document = document or scan.document_hint
        self._document_date(lines)
        title_line = written[kind_line] if kind_line is not None else None
        number = header.number(lines, title_line if title_line in lines else None)
        reading = Reading(
            kind=MEETING_KIND.get(document or ""),
            document=document,
            number=number,
            date=self.document_date.isoformat() if self.document_date else None,
            title=header.title(written, document, kind_line) or None,
            place=header.place(lines),
            chair=None,
            secretary=None,
            controller=None,
        )
        self._header_warnings(reading)
        return reading

    def _document_date(self, lines: list[Line]) -> None:
        """The document's date; of a period written as the date, its last day (with a warning)."""
        found = header.document_date(lines)
        if found is None:
            return
        self.document_date = found.last
        if found.first != found.last:
            self.warn(
                f"Дата указана периодом «{found.words}»: взята последняя дата "
                f"{found.last:%d.%m.%Y}. Проверьте дату протокола."
            )

    def _header_warnings(self, reading: Reading) -> None:
        if reading.document is None:
            self.warn(
                "Не распознан вид документа: в начале нет слов «ПРОТОКОЛ», «Выписка из "
                "протокола», «ПРИКАЗ», «ПОСТАНОВЛЕНИЕ», «РАСПОРЯЖЕНИЕ», «РЕШЕНИЕ» или «Справка»."
            )
        if reading.number is None and reading.document in ("protocol", "extract"):
            self.warn("Не найден номер протокола («№ …»).")
        if reading.date is None:
            self.warn(
                "Не найдена дата документа: укажите её, например «31.01.2023» или «22 декабря "
                "2023 года»."
            )

    def _org(self, words: str | None) -> int | None:
        if not words or self.directory is None:
            return None
        found = self.directory.resolve(words)
        return found.entry.id if found.status == MATCHED and found.entry else None

    # --- agenda -------------------------------------------------------------------------------

    def _agenda(self, scan: Scan) -> list[AgendaEntry]:
        heard = [
            (heard_index(scan.heard, position), "\n".join(block.lines).strip())
            for position, block in enumerate(scan.heard)
        ]
        added = heard_into_agenda(scan.agenda, heard, scan.question_titles)
        if added and not scan.agenda_open:
            self.warn("Повестка не найдена: вопросы составлены по блокам «СЛУШАЛИ».")
        return [AgendaEntry(**entry) for entry in scan.agenda]

    # --- decisions ----------------------------------------------------------------------------

    def _decisions(self, scan: Scan, reading: Reading) -> list[Decision]:
        if not scan.blocks:
            self.warn(
                "Не найден раздел решений («РЕШИЛИ», «ПОСТАНОВИЛИ», «ПРИКАЗЫВАЮ», «Рекомендации»)."
            )
            return []
        fallback = self._document_addressee(scan, reading)
        items: list[Item] = []
        for position, block in enumerate(scan.blocks):
            label = self._block_label(scan, reading, position) if len(scan.blocks) > 1 else None
            block_list, events = block_items(block.lines, label)
            self.executors.resolve(block_list, events, fallback)
            items.extend(block_list)
        if not items:
            self.warn("Раздел решений найден, но пункты в нём не распознаны.")
        if self.directory is None and items:
            self.warn("Справочник организаций не передан: исполнители не сопоставлены.")
        for item in items:
            self._deadline(item, reading)
        return [_decision(item) for item in items]

    def _deadline(self, item: Item, reading: Reading) -> None:
        """The item's deadline, with its warnings; a control item names the controller."""
        warnings = deadlines.resolve(item, self.document_date)
        if item.role == "control":
            reading.controller = reading.controller or tasks.controller(item.text)
        if item.role in ("note", "control"):
            return  # nobody reports on it: its words about time are no deadline to read
        for warning in warnings:
            item.warnings.append(warning)
            self.warn(f"{item.label()}: {warning}")

    def _block_label(self, scan: Scan, reading: Reading, position: int) -> str:
        block = scan.blocks[position]
        question = block.question if block.question is not None else position
        agenda = reading.agenda
        title = agenda[question].title if question < len(agenda) else ""
        label = f"Вопрос {question + 1}" + (f". {title}" if title else "")
        return label if len(label) <= 200 else label[:199] + "…"

    def _document_addressee(self, scan: Scan, reading: Reading):
        """A letter's addressee line («Руководителям общеобразовательных организаций»)."""
        if reading.document is not None or len(scan.header_addressees) != 1:
            return None
        return self.executors.from_head(scan.header_addressees[0], "", "")


def _decision(item: Item) -> Decision:
    return Decision(
        number=own_number(item),
        parent=reference(item.parent) if item.parent is not None else None,
        section=item.section,
        text=item.text,
        executors=item.executors,
        executor_group=item.group,
        deadline=item.deadline,
        needs_report=item.role == "task",
        warnings=item.warnings,
    )


def _people(scan: Scan) -> tuple[str | None, str | None]:
    chair = scan.labeled.get("chair") or (scan.header_names[0] if scan.header_names else None)
    secretary = scan.labeled.get("secretary")
    if chair is None:
        chair = next((s for s in scan.signers if s != secretary), None)
    return chair, secretary
