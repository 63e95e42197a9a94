"""The header: what the document is (its title word), its number, date, place and title.

The header is the lines before the first section cue or directive. Every kind of document puts
these in a few ways: «ПРОТОКОЛ № 4», «ПРИКАЗ» over «30.03.2015 № 159», «от « 10 » марта 2015 г.
№ 563», «Дата проведения: 18.11.2022», «г. Лесогорск      05.04.2023», «Утверждена приказом от
05.09.2023 № 201» (a plan); the title of an act is its «О …» line.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from tracker.protocols.matching import fold
from tracker.protocols.reader.cues import DOCUMENTS
from tracker.protocols.reader.lines import Line
from tracker.protocols.reader.words import LO, UP

_MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_MONTH_WORD = (
    r"(?:январ[ья]|феврал[ья]|марта?|апрел[ья]|ма[йя]|июн[ья]|июл[ья]|августа?|сентябр[ья]"
    r"|октябр[ья]|ноябр[ья]|декабр[ья])"
)
_NUMBER = re.compile(r"(?:№|(?<![а-яa-z])n\s|(?<![а-яa-z])no\.?)\s*(?P<n>[\divxlc][\w/\-.]*)")
_TITLE_START = re.compile(r"^(?:о|об|обо)\s+\S")
_PLACE = re.compile(
    rf"(?:г\.|город|гор\.|пгт\.?|пос\.|п\.|с\.|село|дер\.|ст-ца)\s*[{UP}][{LO}-]+"
    rf"(?:\s+[{UP}][{LO}-]+)*"
)
_MAX_TITLE = 2000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DateFound:
    first: date
    last: date
    words: str


def document_kind(lines: list[Line]) -> tuple[str | None, int | None]:
    """(kind, index of its line) from the first short line that opens with a title word."""
    for index, line in enumerate(lines[:14]):
        folded = re.sub(r"^[\s«\"]+", "", line.folded)
        if len(folded) > 150 or re.match(r"^\S+\s*:", folded):
            continue  # «Решение:» is a cue, not the title
        for cue in DOCUMENTS:
            if cue.pattern.match(folded):
                if cue.document == "extract" or _not_extract(lines, index):
                    return cue.document, index
                return "extract", index
    return None, None


def _not_extract(lines: list[Line], index: int) -> bool:
    """«ВЫПИСКА» alone and «из протокола …» on the next line are one title."""
    following = lines[index + 1].folded if index + 1 < len(lines) else ""
    return not (lines[index].folded.strip() == "выписка" and following.startswith("из протокол"))


def number(lines: list[Line], title_line: Line | None) -> str | None:
    """«№ 4» from the title line, a date line («30.03.2015 № 159») or a line of its own."""
    if title_line is not None:
        found = _NUMBER.search(title_line.folded)
        if found:
            return title_line.text[found.start("n") : found.end("n")].rstrip(".,;")
    for line in lines:
        folded = line.folded
        if len(folded) > 80 and not re.search(r"утвержден|к\s+приказу", folded):
            continue
        if not (dates(line.text) or re.fullmatch(r"(?:№|n)\s*\S{1,20}", folded)):
            continue
        found = _NUMBER.search(folded)
        if found:
            return line.text[found.start("n") : found.end("n")].rstrip(".,;")
    return None


def document_date(lines: list[Line]) -> DateFound | None:
    """The document's date: a «Дата …» line, then a line naming the document («протокол … от»,
    «утверждена приказом от …»), then a short line that is little but a date and a place."""
    ranked: list[tuple[int, int, DateFound]] = []
    for position, line in enumerate(lines):
        found = dates(line.text)
        if not found:
            continue
        rank = _date_rank(line.folded, found[0])
        if rank is not None:
            ranked.append((rank, position, found[0]))
    return min(ranked, key=lambda r: (r[0], r[1]))[2] if ranked else None


def _date_rank(folded: str, found: DateFound) -> int | None:
    if re.match(r"дата\b", folded):
        return 0
    if len(folded) <= 160 and re.match(
        r"(?:выписка\s+из\s+)?(?:протокол|приказ|постановлени|распоряжени|решени|утвержден|к\s+приказу"
        r"|приложение\s+к)\w*[^.]*\sот\s",
        folded,
    ):
        return 1
    rest = folded.replace(fold(found.words), " ", 1)
    rest = _PLACE.sub(" ", re.sub(r"№\s*\S+|(?<![а-яa-z])n\s+\d\S*", " ", rest), count=1)
    rest = re.sub(r"\b\d{1,2}[:.]\d{2}\b|года?|г\.|(?<![а-я])от(?![а-я])|[,.\s«»\"_]", "", rest)
    return 2 if len(rest) <= 30 and not re.search(r"[а-я]{4,}\s+[а-я]{4,}", rest) else None


def place(lines: list[Line]) -> str | None:
    for line in lines:
        found = re.match(r"место(?:\s+проведения)?\s*[:–—-]\s*(.+)$", line.folded)
        if found:
            return line.text[found.start(1) :].strip(" .")
    for line in lines:
        found = re.match(_PLACE, line.text)
        if found and len(line.text) <= 80:
            return found.group().strip()
        found = re.search(rf"(?:\s{{3,}}|\t|\d\s+){_PLACE.pattern}\s*$", line.text)
        if found and len(line.text) <= 80:
            return re.search(_PLACE, found.group()).group().strip()
    return None


def title(lines: list[Line], kind: str | None, kind_line: int | None) -> str:
    """The document's name: the words after «ПРОТОКОЛ» and the lines under it («совещания
    руководителей …»), or an act's «О …» line (with the lines continuing it)."""
    if kind in ("protocol", "extract", "reference", "plan") and kind_line is not None:
        found = _title_after(lines, kind_line)
        if found:
            return found
    for index, line in enumerate(lines):
        if _TITLE_START.match(line.folded) and len(line.text) <= 600:
            return _joined(lines, index, [line.text])
    return ""


_TITLE_STOP = re.compile(
    r"^(?:г\.|№|дата|место|время|председател|секретар|присутств|участники|повестка|тема|от\s)"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"
    rf"|\d{{1,2}}\s+{_MONTH_WORD}"
)


def _title_after(lines: list[Line], kind_line: int) -> str:
    line = lines[kind_line]
    rest = re.sub(
        r"^\s*(?:выписка\s+из\s+протокол\w*|выписка|протокол|(?:информационная\s+|аналитическая"
        r"\s+)?справка)",
        "",
        line.text,
        flags=re.IGNORECASE,
    )  # a plan keeps its words: «План мероприятий по …», «Дорожная карта по …»
    rest = re.sub(r"(?:№|N)\s*\S+|от\s+\S+", " ", rest).strip(" .,:;–—-")
    return _joined(lines, kind_line, [rest] if rest else [])


_PREAMBLE = re.compile(
    r"^(?:в\s+соответствии|в\s+целях|на\s+основании|руководствуясь|заслушав|рассмотрев|во\s+исполнение"
    r"|в\s+связи|по\s+итогам|в\s+рамках|учитывая)"
)


def _joined(lines: list[Line], index: int, parts: list[str]) -> str:
    following = index + 1
    if not parts:
        while following < len(lines) and not lines[following].text:
            following += 1
    while following < len(lines) and len(parts) < 4:
        candidate = lines[following].text
        if _ends_title(candidate):
            break
        parts.append(candidate)
        following += 1
    return " ".join(" ".join(parts).split())[:_MAX_TITLE]


def _ends_title(candidate: str) -> bool:
    """An empty or long line, a stop word, a preamble («В целях …») or a document's name."""
    folded = fold(candidate)
    if not candidate or len(candidate) > 500 or _TITLE_STOP.search(folded):
        return True
    return bool(_PREAMBLE.match(folded)) or any(cue.pattern.match(folded) for cue in DOCUMENTS)


# --- dates in a line --------------------------------------------------------------------------


def dates(text: str) -> list[DateFound]:
    """Dates in a line, in order: a period «26.01-01.02.2021» gives its first and last day."""
    folded = fold(text)
    found: list[tuple[int, DateFound]] = []
    taken: list[tuple[int, int]] = []
    for pattern, build in _DATE_FORMS:
        for match in pattern.finditer(folded):
            value = build(match)
            if value is None or any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            words = text[match.start() : match.end()].strip()
            found.append((match.start(), DateFound(value[0], value[1], words)))
    return [value for _, value in sorted(found, key=lambda f: f[0])]


def _make(day: str, month: int | str, year: str) -> date | None:
    try:
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        value = date(full_year, int(month), int(day))
    except ValueError:
        log.debug("not a date: %s.%s.%s", day, month, year)
        return None
    return value if 1990 <= value.year <= 2100 else None


def _month_of(word: str) -> int:
    return next(n for stem, n in _MONTHS.items() if word.startswith(stem))


def _pair(first: date | None, last: date | None) -> tuple[date, date] | None:
    return (first, last) if first is not None and last is not None else None


_DATE_FORMS = (
    (
        re.compile(
            r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?\s*[-–—]\s*"
            r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d])"
        ),
        lambda m: _pair(_make(m[1], m[2], m[3] or m[6]), _make(m[4], m[5], m[6])),
    ),
    (
        re.compile(rf"(?<!\d)(\d{{1,2}})\s*[-–—]\s*(\d{{1,2}})\s+({_MONTH_WORD})\s+(\d{{4}})"),
        lambda m: _pair(_make(m[1], _month_of(m[3]), m[4]), _make(m[2], _month_of(m[3]), m[4])),
    ),
    (
        re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d])"),
        lambda m: _pair(_make(m[1], m[2], m[3]), _make(m[1], m[2], m[3])),
    ),
    (
        re.compile(rf"(?<!\d)[«\"]?\s*(\d{{1,2}})\s*[»\"]?\s+({_MONTH_WORD})\s+(\d{{4}})"),
        lambda m: _pair(_make(m[1], _month_of(m[2]), m[3]), _make(m[1], _month_of(m[2]), m[3])),
    ),
)
