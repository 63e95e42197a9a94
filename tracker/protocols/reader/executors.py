"""Who must act on an item: the addressee it names, matched to the directory.

An item names its executor in one of these ways:
- it opens with the addressee, in the dative, before the first infinitive («Руководителям ОО
  обеспечить …», «МКУ «ИМЦ» (Суслова Е.А.) организовать …», «Ивановой И.И. подготовить …»);
- a verb leads and the addressee follows («Рекомендовать управлению образования (Иванова И.И.)
  разработать …», «Поручить …», «Обязать руководителей …», «Предложить …»);
- a later clause does («Перевести условно 4 обучающихся; учителям-предметникам организовать …»);
- a label («Ответственный: …», «Отв.: …») or a table column does.

An item that names none inherits its parent's. A heading line without a number («Руководителям
ОО:») covers the items under it until the next heading; a numbered addressee item («2.
Руководителям ОУ:») covers its own sub-items only, except the first item of a block when no later
item names an executor of its own (the whole decision is then addressed to it, as in a protocol
opening with «1. Руководителям общеобразовательных организаций: <list of schools>»).
"""

from __future__ import annotations

import logging
import re
from copy import copy
from itertools import pairwise
from typing import Any

from tracker.core.deadline_parsing import parse_deadline
from tracker.core.deadlines import DeadlineError
from tracker.protocols.matching import (
    AMBIGUOUS,
    MATCHED,
    Directory,
    DirectoryEntry,
    fold,
    group_kinds,
    lemma,
    morph,
)
from tracker.protocols.reader import tasks
from tracker.protocols.reader.cues import EXECUTOR_VERBS, HEADING_NUMBER, LABELLED_EXECUTOR
from tracker.protocols.reader.items import Event
from tracker.protocols.reader.numbering import Item
from tracker.protocols.reader.result import Candidate, Executor
from tracker.protocols.reader.words import (
    NAME_RE,
    ORGAN_WORDS,
    ROLE_WORDS,
    addressee_start,
    first_infinitive,
    has_infinitive,
    person_name,
    starts_new_executor,
    trim,
)

log = logging.getLogger(__name__)

MAX_FRAGMENTS = 200  # executors named in one item
# Where the addressee's words end and the circumstances of the order begin.
_STOP = re.compile(
    r"\s(?:в\s+срок|в\s+течение|в\s+период|в\s+пределах|до\s+\d|до\s+(?:конца|окончания|начала)"
    r"|к\s+\d|не\s+позднее|не\s+реже|при\s|в\s+целях|с\s+целью|в\s+рамках|на\s+основании"
    r"|по\s+итогам|по\s+результатам|в\s+\d|с\s+\d|в\s+соответствии|согласно|в\s+случае"
    r"|совместно\s+с|в\s+установленн|в\s+(?:январ|феврал|март|апрел|ма[ея]|июн|июл|август|сентябр"
    r"|октябр|ноябр|декабр)|во?\s+(?:[ivx]+|перв|втор|трет|четв)\w*\s+(?:квартал|полугоди))",
    re.IGNORECASE,
)
# «1. Подготовка доклада — до 10.08.2023 — Щербакова Т.В.»: a plan's line, the last part is
# who is responsible
_DASH_TAIL = re.compile(r"\s[–—]\s+(?P<who>[^–—\n]{2,80}?)\s*[.;]?\s*$")
_COLUMN = re.compile(r"\s[–—]\s")
# «Подготовить справку до 10.02.2024 (Петрова О.В.).»: who, in parentheses at the end
_NAME_IN_PARENTHESES = re.compile(r"\((?P<who>[^()]{4,80})\)\s*[.;]?\s*$")
_NUMBER_LIST = re.compile(r"№№?\s*\d{1,4}(?:\s*(?:,|и)\s*(?:№\s*)?\d{1,4}(?![\d.]))+")
_CLAUSE = re.compile(r";\s*|\.\s+(?=[А-ЯЁа-яё])")

Found = tuple[list[Executor], str | None]  # executors, the group they were named as


class Executors:
    """Resolves the executors of a block's items against the directory, warning in Russian."""

    def __init__(self, directory: Directory | None, warn):
        self.directory = directory
        self.warn = warn

    # --- a block: own executors, then what items inherit -----------------------------------

    def resolve(self, items: list[Item], events: list[Event], fallback: Found | None) -> None:
        """Executors and role of every item of a block; ``fallback``: the document's addressee
        (a letter's «Руководителям общеобразовательных организаций»), for items naming none."""
        own = {id(item): self.own(item) for item in items}
        opening = _opening_addressee(items, own)
        carried: Found | None = None
        for kind, value in events:
            if kind == "heading":
                carried = self.heading(value) if value else carried
                continue
            item: Item = value
            found = own[id(item)] or _inherited(item, carried, opening, fallback)
            if found is not None:
                item.executors, item.group = [copy(e) for e in found[0]], found[1]
                item.own_executors = own[id(item)] is not None
            self._settle_role(item)

    def _settle_role(self, item: Item) -> None:
        """A note or a control item has no executors; a task that expects one warns without."""
        item.role = tasks.role(item, bool(item.executors))
        if item.role in ("note", "control"):
            item.executors, item.group = [], None
        elif item.role == "task" and not item.executors and _expects_executor(item):
            self.warn(f"{item.label()}: не указан исполнитель.")

    # --- one item's own words -----------------------------------------------------------------

    def own(self, item: Item) -> Found | None:
        """The executors the item names itself, or None if it names none."""
        label = item.label()
        if item.table_executors is not None:
            if not item.table_executors.strip(" -–—"):
                return None
            return self.from_head(item.table_executors, "", label)
        text = item.text
        for finder in (self._verb_led, self._addressee_led, self._later_clause):
            found = finder(text, label)
            if found is not None:
                return found
        labelled = LABELLED_EXECUTOR.search(text)
        if labelled:
            return self.from_head(labelled["value"], "", label)
        first_line = text.split("\n", 1)[0]
        tail = _DASH_TAIL.search(first_line)
        if tail and len(_COLUMN.findall(first_line)) >= 2 and _responsible_words(tail["who"]):
            return self.from_head(tail["who"], "", label)
        named = _NAME_IN_PARENTHESES.search(text)
        if named and NAME_RE.match(named["who"]):
            return self.from_head(named["who"], "", label)
        return self._cell_line(text, label)

    def _cell_line(self, text: str, label: str) -> Found | None:
        """A plan's row pasted a cell per line («Проведение семинара / март 2022 / Иванова
        И.И.»): the line after the deadline's names who is responsible."""
        lines = [line.strip() for line in text.split("\n")]
        for previous, line in pairwise(lines[1:]):
            if (
                _deadline_words(previous)
                and len(line) <= 80
                and _responsible_words(line)
                and not _deadline_words(line)
            ):
                return self.from_head(line, "", label)
        return None

    def _verb_led(self, text: str, label: str) -> Found | None:
        """«Рекомендовать X сделать», «Обязать X:»."""
        verb = EXECUTOR_VERBS.match(fold(text))
        if verb is None:
            return None
        after = text[verb.end() :]
        head, tail = _split_head(after)
        if not head:
            return None
        return self.from_head(head, tail, label)

    def _addressee_led(self, text: str, label: str) -> Found | None:
        if not addressee_start(text):
            return None
        head, tail = _split_head(text)
        if not head:
            return None
        return self.from_head(head, tail, label)

    def _later_clause(self, text: str, label: str) -> Found | None:
        """«Перевести условно …; учителям-предметникам организовать …»."""
        first_line = text.split("\n", 1)[0]
        for clause in _CLAUSE.split(first_line)[1:]:
            if addressee_start(clause):
                cut = first_infinitive(clause)
                if cut:
                    return self.from_head(_stop(clause[:cut]), "", label)
        return None

    # --- words -> executors --------------------------------------------------------------------

    def from_head(self, head: str, tail: str, label: str | None) -> Found:
        """Executors of «head: tail»: the list in the tail if it names any, else the head."""
        head = trim(head)
        group = head if group_kinds(head) is not None else None
        listed = self._from_tail(tail, label) if tail else None
        if listed is not None:
            return listed, group
        executors = []
        for fragment in split_executors(head):
            executors.extend(self.fragment(fragment, label))
        executors = unique(executors)
        return executors, group if group is not None else _one_group(executors)

    def _from_tail(self, tail: str, label: str | None) -> list[Executor] | None:
        """The executors the tail lists, or None if it names no organization or person."""
        listed = split_executors(tail)
        resolved = [self.fragment(f, None) for f in listed]
        named = any(e.kind in ("organization", "ambiguous", "person") for r in resolved for e in r)
        if not named and not (self.directory is None and any(map(_looks_like_org, listed))):
            return None
        executors = []
        for fragment, found in zip(listed, resolved, strict=True):
            executors.extend(self.fragment(fragment, label) if label else found)
        return unique(executors)

    def fragment(self, words: str, label: str | None) -> list[Executor]:
        """Executors for one addressee's words; ``label`` set: warn about what is unresolved."""
        words = trim(" ".join(words.split()))
        kinds = group_kinds(words)
        if kinds is not None:
            return self._group(words, label)
        plain = re.sub(r"\([^)]*\)", " ", words)
        match = self.directory.resolve(plain) if self.directory is not None else None
        if match is None:
            return self._unlisted(words, label, ())
        if match.status == MATCHED and match.entry is not None:
            return [executor(words, match.entry.id, "organization")]
        if match.status == AMBIGUOUS:
            names = ", ".join(f"«{e.short_name}»" for e, _ in match.candidates[:3])
            self._warn(
                label,
                f"исполнитель «{words}» неоднозначен (подходят {names}): выберите организацию.",
            )
            return [executor(words, None, "ambiguous", match.candidates)]
        return self._unlisted(words, label, match.candidates)

    def _unlisted(self, words: str, label: str | None, candidates: Any) -> list[Executor]:
        """A person by name, or words the directory does not hold (a warning, if it is there)."""
        if person_name(words):
            return [executor(words, None, "person")]
        if self.directory is not None:
            self._warn(label, f"исполнитель «{words}» не найден в справочнике организаций.")
        return [executor(words, None, "unmatched", candidates)]

    def _group(self, words: str, label: str | None) -> list[Executor]:
        members = self.directory.members(words) if self.directory is not None else None
        if members:
            return [executor(words, e.id, "group") for e in members]
        if self.directory is not None:
            self._warn(label, f"в справочнике нет организаций для группы «{words}».")
        return [executor(words, None, "group")]

    def _warn(self, label: str | None, message: str) -> None:
        if label is not None:
            self.warn(f"{label}: {message}" if label else message[:1].upper() + message[1:])

    def heading(self, words: str) -> Found | None:
        """Executors of a heading line («II. Руководителям ОО:»), None if it names nobody."""
        words = HEADING_NUMBER.sub("", words)
        if words and addressee_start(words):
            return self.from_head(words, "", "")
        return None


# --- helpers ------------------------------------------------------------------------------------


def _opening_addressee(items: list[Item], own: dict[int, Found | None]) -> Found | None:
    """The first item's addressee when it opens the block («1. Руководителям ОО: <schools>»)
    and no later top-level item names an executor: the whole block is addressed to it."""
    top = [item for item in items if item.parent is None]
    if not top or own[id(top[0])] is None or has_infinitive(top[0].text.split("\n", 1)[0]):
        return None
    if any(own[id(item)] is not None for item in top[1:]):
        return None
    return own[id(top[0])]


def _inherited(
    item: Item, carried: Found | None, opening: Found | None, fallback: Found | None
) -> Found | None:
    if item.parent is not None:
        return (item.parent.executors, item.parent.group) if item.parent.executors else None
    for found in (carried, opening, fallback):
        if found is not None:
            return found
    return None


def _expects_executor(item: Item) -> bool:
    return item.parent is None or bool(item.parent.executors)


def _split_head(text: str) -> tuple[str, str]:
    """(addressee words, the list after its colon) of an item's text; ("", "") if none.

    «Руководителям ОО: МОУ …; МОУ …» -> the list; «Руководителям ОО обеспечить …» -> the words
    before the infinitive, without the circumstances («в срок до …», «при …»)."""
    colon = text.find(":")
    head = text[:colon] if colon > 0 else ""
    if head and not has_infinitive(head) and len(head) <= 1000:
        tail = text[colon + 1 :].strip()
        return head, tail if tail and not has_infinitive(tail) else ""
    cut = first_infinitive(text)
    if not cut:
        return "", ""
    return _stop(text[:cut]), ""


def _stop(words: str) -> str:
    """The addressee without what follows it: «руководителям ОО в срок до 01.03» -> «руководителям
    ОО»; trailing adverbs («систематически», «дополнительно») go too."""
    found = _STOP.search(words)
    if found:
        words = words[: found.start()]
    parts = words.rstrip(" ,").split()
    while parts and _adverb(parts[-1]):
        parts.pop()
    return " ".join(parts)


def _adverb(word: str) -> bool:
    word = fold(word.strip(",;"))
    return bool(word) and word.isalpha() and morph().parse(word)[0].tag.POS == "ADVB"


def _responsible_words(words: str) -> bool:
    """A person («Щербакова Т.В.»), a position or a body («руководители ОО», «отдел общего
    образования»), not a deadline or a result."""
    if has_infinitive(words) or re.search(r"\d{1,2}[./]\d{1,2}|\d{4}", words):
        return False
    if NAME_RE.match(words.strip()) or starts_new_executor(words) or group_kinds(words):
        return True
    # «классные руководители», «рабочая группа»: a position or body among the first words
    return any(
        lemma(word) in ROLE_WORDS | ORGAN_WORDS | {"группа", "комиссия"}
        for word in re.findall(r"[а-яё]+", fold(words))[:3]
    )


def _deadline_words(line: str) -> bool:
    try:
        return parse_deadline(line.strip(" .;")).kind != "none"
    except DeadlineError as error:
        log.debug("%r is no deadline: %s", line, error)
        return False


def _looks_like_org(text: str) -> bool:
    return addressee_start(text) or bool(re.search(r"№\s*\d", text))


def split_executors(text: str) -> list[str]:
    """«МБОУ «СОШ № 1, МБОУ «СОШ № 2»» -> one string per addressee (quotes may not pair)."""
    pieces: list[str] = []
    for part in re.split(r"[;\n]", text):
        pieces.extend(_split_part(part))
    cleaned = [trim(" ".join(p.split())) for p in pieces]
    expanded = [part for p in cleaned for part in _number_list(p)]
    return [p for p in expanded if p and re.search(r"[А-ЯЁа-яёA-Za-z]", p)][:MAX_FRAGMENTS]


def _split_part(part: str) -> list[str]:
    pieces = []
    start = 0
    depth = 0
    position = 0
    while position < len(part):
        char = part[position]
        if char == "«":
            depth += 1
        elif char == "»":
            depth = max(0, depth - 1)
        separator = re.match(r",\s*|\s+и\s+", part[position:]) if char in ", " else None
        if separator and _splits(part, start, position, separator.end(), depth):
            pieces.append(part[start:position])
            start = position + separator.end()
            depth = 0
            position = start
            continue
        position += 1
    pieces.append(part[start:])
    return pieces


def _splits(part: str, start: int, position: int, width: int, depth: int) -> bool:
    after = part[position + width :]
    if starts_new_executor(after):
        return True
    if depth == 0 and NAME_RE.match(after.lstrip()):
        return True
    # «Отделу образования (Максименко Н.А.) и постоянной комиссии …»: a closed parenthesis
    # ends an addressee
    return depth == 0 and part[start:position].rstrip().endswith(")") and addressee_start(after)


def _number_list(words: str) -> list[str]:
    """«Директорам школ № 3 и № 33» -> «Директорам школ № 3», «Директорам школ № 33»."""
    found = _NUMBER_LIST.search(words)
    if not found:
        return [words]
    head, tail = words[: found.start()], words[found.end() :]
    return [f"{head}№ {n}{tail}" for n in re.findall(r"\d{1,4}", found.group())]


def unique(executors: list[Executor]) -> list[Executor]:
    """Each organization once («Руководителям ОО и заведующим ДОУ» name kindergartens twice)."""
    seen: set[int] = set()
    kept = []
    for found in executors:
        organization = found.organization_id
        if organization is not None:
            if organization in seen:
                continue
            seen.add(organization)
        kept.append(found)
    return kept


def executor(
    words: str,
    organization_id: int | None,
    kind: str,
    candidates: tuple[tuple[DirectoryEntry, float], ...] = (),
) -> Executor:
    return Executor(
        text=words,
        organization_id=organization_id,
        kind=kind,
        candidates=[Candidate(e.id, e.short_name, float(score)) for e, score in candidates],
    )


def _one_group(executors: list[Executor]) -> str | None:
    """The group all group executors share, None if there are none or several."""
    groups = [e.text for e in executors if e.kind == "group"]
    return groups[0] if len(set(groups)) == 1 else None
