"""Reading a protocol's text into a draft meeting: header, attendees, agenda, decisions.

Pure logic: no Flask, no database. ``read_protocol`` never raises: what it cannot read is
reported in ``warnings`` (Russian, shown to the user as is).

The text is read line by line, in sections that Russian protocols mark with cue words:

- header: the kind («ПРОТОКОЛ», «Выписка из протокола», «… справка»), number («№ 12»), date,
  place («г. …», «Место проведения: …»), chair and secretary («Председатель …», «Секретарь …»,
  a lone «И.О. Фамилия» line before the attendees);
- «Присутствовали:» / «Участники –»: one attendee per line or table row («Фамилия И.О. –
  должность», «1.<tab>Фамилия И.О.<tab>должность»), the organization matched from the position;
- «Повестка (дня)»: numbered questions with a « – докладчик» tail or a speaker line below;
- «СЛУШАЛИ:» blocks, attached to the questions in order or by «По первому вопросу …»;
- decisions: from «РЕШИЛИ», «ПОСТАНОВИЛИ», «Рекомендации», «Рекомендовано» to the signature block
  («Председатель», «Секретарь», «Вела протокол», a position with a name) or the next «СЛУШАЛИ».

Decisions are items «1.», «1.2.», «1.3.1.», «1)», «а)», dashes and bullets; a numbered item's
parent is the item whose number is its prefix, a dash's parent is the item above it. Lines that
are not items continue the item above («Срок: …» included). Executors are the addressees an item
names: a heading line («Руководителям образовательных организаций»), an item that is only an
addressee and a colon («1. МКОУ … «СОШ № 6»:», optionally followed by a list of schools), the
words before the first infinitive («Руководителям ОО обеспечить …») or «Ответственный: …».
An item that names none inherits its parent's, and a top-level item the last heading's.

Dates written as a period («26.01-01.02.2021г.») give the period's last day: the decisions of a
meeting that lasted several days are taken by its end (a warning says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.core.deadlines import Deadline, DeadlineError, find_deadline, parse_deadline
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

__all__ = ["read_protocol"]

_MAX_TEXT = 2_000_000  # characters read; a protocol is a few dozen kilobytes
_MAX_HEARD = 20_000  # characters kept of one «СЛУШАЛИ» block
_MAX_FRAGMENTS = 200  # executors named in one item

# --- words and patterns -----------------------------------------------------------------------

_UP = "А-ЯЁ"
_LO = "а-яё"
_SURNAME = rf"[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?"
_INITIALS = rf"[{_UP}]\.\s?[{_UP}]\.?"
_PATRONYMIC = rf"[{_UP}][{_LO}]+(?:вн|вич|ичн|ьич|чн)[{_LO}]*"
_NAME = (
    rf"(?:(?<![{_UP}{_LO}.]){_INITIALS}\s?{_SURNAME}(?![{_LO}])"
    rf"|(?<![{_UP}{_LO}]){_SURNAME}\s+[{_UP}]\.\s?[{_UP}]\.?(?![{_UP}{_LO}])"
    rf"|(?<![{_UP}{_LO}]){_SURNAME}\s+[{_UP}][{_LO}]+\s+{_PATRONYMIC}(?![{_LO}]))"
)
_NAME_RE = re.compile(_NAME)
_NAME_ONLY = re.compile(rf"\s*(?:{_NAME})\s*[.,;]?\s*")

_MARKUP = re.compile(
    r"\*\*|__|</?(?:b|i|u|em|strong|span|p|br|font|sup|sub)\b[^>]*>|\[bookmark:[^\]]*\]",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_DASHES = "-–—−‒"
_DASH = r"\-–—−‒"  # the same, for a regex character class
_BULLETS = "·•▪◦●○■□➢►✓✔*"
_ITEM_NUMBER = re.compile(r"^(?P<num>[1-9]\d?(?:\.(?:[1-9]\d?|0))*)(?P<punct>\.|\))?(?P<rest>.*)$")
_ITEM_LETTER = re.compile(r"^(?P<num>[а-яa-z])\)\s*(?P<rest>\S.*)$")
_ITEM_DASH = re.compile(rf"^[{_DASH}]+\s*(?P<rest>[^\s{_DASH}].*)$")
_ITEM_BULLET = re.compile(rf"^[{re.escape(_BULLETS)}]\s*(?P<rest>\S.*)$")

_ORDINALS = {
    "перв": 1,
    "втор": 2,
    "трет": 3,
    "четверт": 4,
    "пят": 5,
    "шест": 6,
    "седьм": 7,
    "восьм": 8,
    "девят": 9,
    "десят": 10,
}
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

_CUE_ATTENDEES = re.compile(
    r"^(?:присутствовали|присутствуют|присутствовал[аи]?|участники(?:\s+(?:совещания|заседания))?"
    r"|приглашенные|приглашены|в\s+(?:совещании|заседании)\s+приняли\s+участие)"
    r"\s*(?:[:–—-]|$)\s*(?P<rest>.*)$"
)
_CUE_ABSENT = re.compile(r"^отсутствовал\w*\s*(?:[:–—-]|$)")
_CUE_AGENDA = re.compile(
    r"^(?:повестка(?:\s+дня)?(?:\s+(?:совещания|заседания))?|вопросы\s+(?:совещания|заседания"
    r"|собеседования|для\s+обсуждения|повестки(?:\s+дня)?)|рассматриваемые\s+вопросы)"
    r"\s*(?:[:.–—-]|$)\s*(?P<rest>.*)$"
)
_CUE_TOPIC = re.compile(r"^тема(?:\s+(?:совещания|заседания))?\s*[:–—-]\s*(?P<rest>.*)$")
_CUE_HEARD = re.compile(
    r"^(?:(?P<heard>слушали)(?:\s*[:–—-]\s*|\s+|$)|(?P<spoke>выступили|выступил[аи]?)\s*[:–—-]\s*)"
    r"(?P<rest>.*)$"
)
_CUE_QUESTION = re.compile(
    r"^по\s+(?P<n>[а-я]+|\d{1,2}(?:-?[а-я]{1,3})?)\s+вопросу\b[\s:,.–—-]*(?P<rest>.*)$"
)
_CUE_DECISION = re.compile(
    r"^(?P<word>решили|постановили|решено|решение|приняли\s+решение|рекомендации|рекомендовано"
    r"|рекомендуется|рекомендуем|предложения)(?![а-я])(?P<rest>.*)$"
)
_CUE_ROLE = re.compile(
    r"^(?:(?P<chair>председател(?:ь(?:ствующ(?:ий|ая)|ствовал[а]?)?))"
    r"|(?P<secretary>секретар(?:ь|и)|вел[аи]?\s+протокол|протокол\s+вел[аи]?)"
    r"|(?P<signer>заместитель\s+председател\w*|подпис(?:ь|и|ано)))(?![а-я])"
    r"(?:\s+(?:совещания|заседания|комиссии|собрания|коллегии|ОМО|РМО))?(?P<rest>.*)$",
    re.IGNORECASE,
)
_LABELED_EXECUTOR = re.compile(
    r"(?:^|\n|\(|;\s*|\.\s+)(?:ответственн(?:ый|ая|ые|ое)(?:\s+исполнител[ьи])?|исполнител[ьи]"
    r"|отв\.)\s*[:–—-]\s*(?P<value>(?:(?!,?\s*срок)[^\n;)])+)",
    re.IGNORECASE,
)
_CONTINUATION_LABEL = re.compile(
    r"^(?:срок\w*|ответственн\w*|исполнител\w*|отв\.|контроль|на\s+контроле)(?![а-я])",
    re.IGNORECASE,
)
_HEADING_NUMBER = re.compile(r"^(?:[IVX]{1,5}|[А-ЯA-Z])[.)]\s+|^[Рр]аздел\s+\S+\s*[.:]\s*")
_TAKE_NOTE = re.compile(r"^(?:информацию\s+|доклад\s+)?принять\s+(?:\S+\s+){0,2}к\s+сведению")
# Words that look like a deadline; if find_deadline cannot read them, parse_deadline says why.
_DEADLINE_WORDS = re.compile(
    r"(?:(?<![а-я])(?:до|в\s+течение|не\s+позднее|к)\s+(?:конца\s+|окончания\s+)?"
    r"[^\n.;,()]{0,40}?(?:года|месяца|квартала|полугодия|четверти|числа)(?![а-я]))"
)
_DEADLINE_LABEL = re.compile(r"(?:^|\s|\()срок\w*(?:\s+исполнения)?\s*[:–—-]\s*(?P<value>[^\n;)]+)")

_ROLE_WORDS = frozenset(
    {
        "руководитель",
        "директор",
        "заведующий",
        "заведующая",
        "заведовать",
        "начальник",
        "заместитель",
        "специалист",
        "методист",
        "председатель",
        "координатор",
        "учитель",
        "педагог",
        "представитель",
        "сотрудник",
        "консультант",
        "эксперт",
        "инспектор",
        "глава",
        "секретарь",
    }
)
# Words that open an addressee in the dative: «Руководителям …», «Органам …», «Отделу …».
_ADDRESSEE_HEADS = _ROLE_WORDS | {
    "орган",
    "управление",
    "отдел",
    "комитет",
    "департамент",
    "администрация",
    "школа",
    "гимназия",
    "лицей",
    "сад",
    "организация",
    "учреждение",
    "весь",
    "член",
    "работник",
    "образовательный",
    "общеобразовательный",
    "муниципальный",
    "дошкольный",
    "детский",
    "классный",
    "центр",
    "служба",
    "кабинет",
}
# Heads that start a new addressee inside a list («…, управлению образования»).
_NEW_ADDRESSEE_HEADS = _ROLE_WORDS | {"орган", "управление", "отдел", "комитет", "департамент"}
_ABBREVIATIONS = frozenset(
    {"ОО", "ОУ", "ДОУ", "ДОО", "ОМСУ", "УО", "СОШ", "ООШ", "СШ", "НОШ", "МОЦ", "ЦДО", "ДДТ"}
    | {"ДЦТ", "ДЮСШ", "ДШИ", "МКУ", "МБУ", "МАУ", "МУ", "УДО", "ОДО"}
)
_LEGAL_FORM = re.compile(r"^[МГЧ][БКА]?Д?О?У(?:ДО)?$")


# --- lines ------------------------------------------------------------------------------------


@dataclass
class _Line:
    text: str  # markup removed, whitespace collapsed
    cells: list[str]  # tab-separated cells as written (stripped), empty ones kept
    wide_gap: bool  # a tab or 3+ spaces inside: the layout of a signature

    @property
    def folded(self) -> str:
        return fold(self.text)


def _lines(text: str) -> list[_Line]:
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        raw = _MARKUP.sub("", _CONTROL.sub("", raw)).replace("\u00a0", " ").strip()
        raw = re.sub(r"^#{1,6}\s+", "", raw)
        cells = [" ".join(cell.split()) for cell in raw.split("\t")]
        lines.append(
            _Line(
                text=" ".join(raw.split()),
                cells=cells,
                wide_gap=bool(re.search(r"\S(?: {3,}|\t)\S", raw)),
            )
        )
    return lines


# --- small readers ----------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"[а-яёa-z]+", fold(text))


def _has_infinitive(text: str) -> bool:
    text = re.sub(r"«[^»]*(?:»|$)|\"[^\"]*(?:\"|$)|\([^)]*(?:\)|$)", " ", text)
    for word in _words(text)[:60]:
        if (
            len(word) > 3
            and word.endswith(("ть", "ти", "чь", "тись", "ться"))
            and morph().parse(word)[0].tag.POS == "INFN"
        ):
            return True
    return False


def _first_infinitive(text: str) -> int | None:
    """Offset of the first infinitive outside quotes and parentheses, or None."""
    depth = 0
    for match in re.finditer(r"[«»\"()]|[А-ЯЁа-яё]+", text):
        word = match.group()
        if word in ("«", "("):
            depth += 1
        elif word in ("»", ")"):
            depth = max(0, depth - 1)
        elif word == '"':
            depth = 0 if depth else 1
        elif (
            depth == 0
            and len(word) > 3
            and fold(word).endswith(("ть", "ти", "чь", "ся"))
            and morph().parse(fold(word))[0].tag.POS == "INFN"
        ):
            return match.start()
    return None


def _trim(text: str) -> str:
    """Strip list punctuation, keeping the dot of a trailing initial («Сидорова С.С.»)."""
    text = text.strip(" ;,:\t")
    while text.endswith(".") and not re.search(rf"(?<![{_UP}{_LO}])[{_UP}]\.$", text):
        text = text[:-1].rstrip(" ;,:")
    return text


def _first_word(text: str) -> str:
    found = re.search(r"[А-ЯЁа-яёA-Za-z]+", text[:80])
    return found.group() if found else ""


def _is_abbreviation(word: str) -> bool:
    return (
        word.isupper()
        and len(word) >= 2
        and (word in _ABBREVIATIONS or bool(_LEGAL_FORM.match(word)))
    )


def _addressee_start(text: str) -> bool:
    """True if the text opens with an addressee: a dative role/organization word or «МБОУ …»."""
    stripped = text.lstrip(' «"(')
    word = _first_word(stripped)
    if not word or not stripped.startswith(word):
        return False
    if _is_abbreviation(word) or _NAME_RE.match(stripped):
        return True
    return any(
        parse.normal_form.replace("ё", "е") in _ADDRESSEE_HEADS and "datv" in parse.tag
        for parse in morph().parse(fold(word))[:4]
    )


def _looks_like_org(text: str) -> bool:
    return _addressee_start(text) or bool(re.search(r"№\s*\d", text))


def _starts_new_executor(text: str) -> bool:
    stripped = text.lstrip(' «"')
    word = _first_word(stripped)
    if not word or not stripped.startswith(word):
        return False
    if _is_abbreviation(word) or _NAME_RE.match(stripped):
        return True
    return lemma(fold(word)) in _NEW_ADDRESSEE_HEADS


def _names(text: str) -> list[re.Match[str]]:
    """People's names in the text, except those in an institution's name («им. А.М. Панова»)."""
    found = []
    for match in _NAME_RE.finditer(text):
        before = fold(text[max(0, match.start() - 7) : match.start()])
        if not re.search(r"(?:им\.?|имени)\s*$", before):
            found.append(match)
    return found


def _person_name(text: str) -> re.Match[str] | None:
    names = _names(text)
    return names[0] if names else None


def _nominative_name(name: str) -> str:
    """«Баскакову Марину Михайловну» -> «Баскакова Марина Михайловна» (as written if unsure)."""
    words = re.findall(rf"[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?", name)
    gender = None
    for word in words:
        for parse in morph().parse(fold(word)):
            if {"Patr", "Name"} & parse.tag.grammemes and "accs" in parse.tag:
                gender = parse.tag.gender
                break

    def nominative(match: re.Match[str]) -> str:
        word = match.group()
        parses = [
            p for p in morph().parse(fold(word)) if {"Surn", "Name", "Patr"} & p.tag.grammemes
        ]
        if gender is None and any("nomn" in p.tag for p in parses):
            return word  # «Петрова П.П.»: a woman as written, or a man in the accusative?
        # after «Слушали» a name is in the accusative: prefer it to the dative
        ranked = sorted(parses, key=lambda p: ("accs" not in p.tag, "gent" not in p.tag))
        chosen = next(
            (
                p
                for p in ranked
                if {"accs", "gent", "datv"} & p.tag.grammemes
                and (gender is None or p.tag.gender == gender)
            ),
            None,
        )
        inflected = chosen.inflect({"nomn"}) if chosen is not None else None
        if inflected is None:
            return word
        return "-".join(part.capitalize() for part in inflected.word.split("-"))

    return re.sub(rf"[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?", nominative, name)


def _dates(text: str) -> list[tuple[date, date, str]]:
    """Dates in a line: (first day, last day, words); a period «26.01-01.02.2021» has two."""
    found: list[tuple[int, date, date, str]] = []
    folded = fold(text)
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], first: date | None, last: date | None) -> None:
        if first is None or last is None:
            return
        if any(s < match.end() and match.start() < e for s, e in taken):
            return
        taken.append((match.start(), match.end()))
        found.append((match.start(), first, last, text[match.start() : match.end()].strip()))

    def make(day: str, month: int | str, year: str) -> date | None:
        try:
            full_year = int(year) + (2000 if len(year) == 2 else 0)
            value = date(full_year, int(month), int(day))
        except ValueError:
            return None
        return value if 1990 <= value.year <= 2100 else None

    def month_of(word: str) -> int:
        return next(n for stem, n in _MONTHS.items() if word.startswith(stem))

    for m in re.finditer(
        r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?:\.(\d{4}|\d{2}))?\s*[-–—]\s*"
        r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d])",
        folded,
    ):
        last = make(m[4], m[5], m[6])
        first = make(m[1], m[2], m[3] or m[6])
        add(m, first, last)
    for m in re.finditer(
        rf"(?<!\d)(\d{{1,2}})\s*[-–—]\s*(\d{{1,2}})\s+({_MONTH_WORD})\s+(\d{{4}})", folded
    ):
        month = month_of(m[3])
        add(m, make(m[1], month, m[4]), make(m[2], month, m[4]))
    for m in re.finditer(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d])", folded):
        value = make(m[1], m[2], m[3])
        add(m, value, value)
    for m in re.finditer(rf"(?<!\d)[«\"]?(\d{{1,2}})[»\"]?\s+({_MONTH_WORD})\s+(\d{{4}})", folded):
        value = make(m[1], month_of(m[2]), m[3])
        add(m, value, value)
    return [(first, last, words) for _, first, last, words in sorted(found, key=lambda f: f[0])]


# --- the reader -------------------------------------------------------------------------------


@dataclass
class _Item:
    number: str | None
    style: str  # num | paren | letter | dash | bullet | para | table
    lines: list[str]
    section: str | None
    parent: _Item | None = None
    children: list[_Item] = field(default_factory=list)
    table_executors: str | None = None
    table_deadline: str | None = None
    executors: list[dict[str, Any]] = field(default_factory=list)
    group: str | None = None
    deadline: dict[str, Any] | None = None
    heading_addressee: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()

    def label(self) -> str:
        if self.number:
            return f"Пункт {self.number}"
        words = " ".join(self.text.split())
        return f"Пункт «{words[:40]}{'…' if len(words) > 40 else ''}»"


@dataclass
class _Block:
    lines: list[_Line]
    question: int | None  # 0-based agenda index the block decides on, if known


@dataclass
class _Heard:
    question: int | None
    lines: list[str]


class _Reader:
    def __init__(self, text: str, directory: Directory | None, today: date | None):
        self.lines = _lines(text[:_MAX_TEXT])
        self.directory = directory
        self.today = today
        self.warnings: list[str] = []
        self.result: dict[str, Any] = _empty_result()
        self.header_end: int | None = None
        self.header_names: list[str] = []
        self.labeled: dict[str, str] = {}  # chair / secretary from labeled lines
        self.signers: list[str] = []
        self.pending: tuple[str, int] | None = None  # a role label waiting for its name
        self.attendee_lines: list[_Line] = []
        self.agenda: list[dict[str, Any]] = []
        self.agenda_open = False
        self.heard: list[_Heard] = []
        self.question: int | None = None
        self.question_titles: dict[int, str] = {}
        self.blocks: list[_Block] = []
        self.protocol_date: date | None = None
        if len(text) > _MAX_TEXT:
            self.warn(
                f"Текст длиннее {_MAX_TEXT // 1_000_000} млн символов: прочитано только начало. "
                "Загрузите протокол без приложений."
            )

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    # --- the pass over the lines -----------------------------------------------------------

    def read(self) -> dict[str, Any]:
        self._scan()
        self._header()
        self._attendees()
        self._agenda()
        self._decisions()
        self._people()
        self.result["warnings"] = self.warnings
        return self.result

    def _scan(self) -> None:
        state = "header"
        for index, line in enumerate(self.lines):
            if not line.text:
                continue
            cue, rest, extra = self._cue(line, state)
            if cue is None and self.pending is not None and self._take_pending(line):
                continue
            if cue is not None:
                self.pending = None
            if state == "decisions" and cue is None and self._signature_starts(index):
                state = "signature"
                self._signature_line(line)
                continue
            if self.header_end is None and cue in (
                "attendees",
                "agenda",
                "heard",
                "question",
                "decisions",
            ):
                self.header_end = index
            if cue == "attendees":
                state = "attendees"
                if rest:
                    self.attendee_lines.append(_Line(rest, [rest], False))
            elif cue == "absent":
                state = "body"
            elif cue == "agenda":
                state = "agenda"
                self.agenda_open = True
                if rest:
                    state = self._agenda_line(_Line(rest, [rest], False))
            elif cue == "topic":
                state = "body" if state != "header" else state
            elif cue == "question":
                self.question = int(extra) if extra is not None else None
                heard = _CUE_HEARD.match(fold(rest))
                if heard:  # «По первому вопросу слушали Котову Н.И., …»
                    self.heard.append(_Heard(self.question, [rest[heard.start("rest") :]]))
                    self.question = None
                    state = "heard"
                else:
                    if self.question is not None and rest:
                        self.question_titles[self.question] = rest.strip(' «»"')
                    state = "body"
            elif cue == "heard":
                advances = extra == "heard"
                question = self.question
                self.question = None
                if advances or not self.heard:
                    self.heard.append(_Heard(question, [rest] if rest else []))
                else:
                    self.heard[-1].lines.extend([rest] if rest else [])
                state = "heard"
            elif cue == "decisions":
                question = self.question
                if question is None and self.heard:
                    question = self._heard_index(len(self.heard) - 1)
                self.blocks.append(_Block([], question))
                self.question = None
                if rest:
                    self.blocks[-1].lines.append(_Line(rest, [rest], False))
                state = "decisions"
            elif cue in ("chair", "secretary", "signer"):
                self._role(cue, rest)
                if state == "decisions" or (state in ("heard", "body") and not rest):
                    state = "signature"
            elif state == "header":
                if _NAME_ONLY.fullmatch(re.sub(r"[_/]+", " ", line.text)):
                    self.header_names.append(line.text.strip(" .,;"))
            elif state == "attendees":
                if len(line.text) > 400:
                    state = "body"
                else:
                    self.attendee_lines.append(line)
            elif state == "agenda":
                state = self._agenda_line(line)
            elif state == "heard":
                if self.heard and sum(len(x) for x in self.heard[-1].lines) < _MAX_HEARD:
                    self.heard[-1].lines.append(line.text)
            elif state == "decisions":
                self.blocks[-1].lines.append(line)
            elif state == "signature":
                self._signature_line(line)

    def _cue(self, line: _Line, state: str) -> tuple[str | None, str, Any]:
        folded = line.folded
        # «2. СЛУШАЛИ:» / «1. РЕШИЛИ:»: a numbered heard or decision cue
        numbered = re.match(r"^([1-9]\d?)[.)]\s*(?=[а-я])", folded)
        body = folded[numbered.end() :] if numbered else folded
        offset = len(folded) - len(body)
        text = line.text[offset:]

        heard = _CUE_HEARD.match(body)
        if heard:
            kind = "heard" if heard["heard"] else "spoke"
            if numbered and kind == "heard":
                self.question = int(numbered.group(1)) - 1
            return "heard", text[heard.start("rest") :].strip(), kind
        question = _CUE_QUESTION.match(body)
        if question:
            number = _ordinal(question["n"])
            if number is not None and 1 <= number <= 50:
                return "question", text[question.start("rest") :].strip(), number - 1
        decision = self._decision_cue(body, text, strong=bool(numbered) or state == "decisions")
        if decision is not None:
            if numbered and self.question is None:
                self.question = int(numbered.group(1)) - 1
            return "decisions", decision, None
        role = _CUE_ROLE.match(text)
        if role and not numbered:
            kind = "chair" if role["chair"] else "secretary" if role["secretary"] else "signer"
            return kind, role["rest"].strip(" :–—-\t"), None
        if state == "decisions" or numbered:
            return None, "", None
        for cue, pattern in (
            ("attendees", _CUE_ATTENDEES),
            ("agenda", _CUE_AGENDA),
            ("topic", _CUE_TOPIC),
        ):
            found = pattern.match(folded)
            if found:
                rest = (
                    line.text[found.start("rest") :].strip() if "rest" in pattern.groupindex else ""
                )
                return cue, rest, None
        if _CUE_ABSENT.match(folded):
            return "absent", "", None
        return None, "", None

    def _decision_cue(self, body: str, text: str, strong: bool) -> str | None:
        """The words after a decision cue («РЕШИЛИ: 1. …» -> «1. …»), or None if no cue."""
        found = _CUE_DECISION.match(body)
        if not found:
            return None
        word = found["word"]
        rest = text[found.start("rest") :]
        tail = rest.strip()
        colon = tail.startswith((":", "–", "—", "-"))
        tail = tail.lstrip(":.–—- ").strip()
        written = text[: found.end("word")]
        if strong and ((tail and not colon) or word.startswith("рекоменд")):
            return None
        if word in ("решили", "постановили", "решено", "приняли решение"):
            accepted = not tail or colon or written.isupper() or tail[:1].isdigit()
        elif word in ("решение", "предложения"):
            accepted = not tail or (colon and len(text) <= 200)
        else:  # рекомендации, рекомендовано …
            accepted = (
                not tail
                or (colon and _addressee_start(tail))
                or text.rstrip().endswith(":")
                or (len(text) <= 100 and not text.rstrip().endswith((".", ";", "!", "?")))
            )
        if not accepted:
            return None
        if colon or not tail:
            return tail
        return tail if _addressee_start(tail) else ""

    def _signature_starts(self, index: int) -> bool:
        """Inside the decisions: does this line begin the signatures?"""
        line = self.lines[index]
        text = line.text
        if _item_marker(text) is not None or text.endswith(":") or len(text) > 160:
            return False
        plain = re.sub(r"[_/]+", " ", text)
        if _NAME_ONLY.fullmatch(plain):
            previous = self._previous_text(index)
            return not previous.endswith(":")
        if line.wide_gap and re.search(rf"(?:{_NAME})\s*[.,]?\s*$", plain):
            return True
        # «Начальник управления образования» … then a name within a few lines
        word = _first_word(text)
        if not word or not text.startswith(word) or not word[0].isupper():
            return False
        parse = morph().parse(fold(word))[0]
        if parse.normal_form not in _ROLE_WORDS or "nomn" not in parse.tag:
            return False
        seen = 0
        for later in self.lines[index + 1 :]:
            if not later.text:
                continue
            seen += 1
            if seen > 6 or _item_marker(later.text) is not None:
                return False
            later_plain = re.sub(r"[_/]+", " ", later.text)
            if _NAME_ONLY.fullmatch(later_plain) or re.search(
                rf"(?:{_NAME})\s*[.,]?\s*$", later_plain
            ):
                return True
        return False

    def _previous_text(self, index: int) -> str:
        for line in reversed(self.lines[:index]):
            if line.text:
                return line.text
        return ""

    # --- roles and signatures --------------------------------------------------------------

    def _role(self, role: str, rest: str) -> None:
        plain = re.sub(r"[_/]+", " ", rest)
        name = _person_name(plain)
        if role == "signer":
            if name:
                self.signers.append(name.group())
            else:
                self.pending = ("signer", 6)
            return
        if name:
            self.labeled.setdefault(role, name.group())
        elif rest and len(rest) > 2:
            self.labeled.setdefault(role, _trim(rest))
        else:
            self.pending = (role, 6)

    def _take_pending(self, line: _Line) -> bool:
        assert self.pending is not None
        role, left = self.pending
        plain = re.sub(r"[_/]+", " ", line.text)
        found = None
        if _NAME_ONLY.fullmatch(plain):
            found = _person_name(plain)
        elif line.wide_gap or len(plain) <= 120:
            tail = re.search(rf"(?:{_NAME})\s*[.,]?\s*$", plain)
            if tail and not _item_marker(plain):
                found = _person_name(tail.group())
        if found:
            self.pending = None
            if role == "signer":
                self.signers.append(found.group())
            else:
                self.labeled.setdefault(role, found.group())
            return True
        self.pending = (role, left - 1) if left > 1 else None
        return False

    def _signature_line(self, line: _Line) -> None:
        plain = re.sub(r"[_/]+", " ", line.text)
        tail = re.search(rf"(?:{_NAME})\s*[.,]?\s*$", plain)
        if tail:
            name = _person_name(tail.group())
            if name:
                self.signers.append(name.group())

    def _people(self) -> None:
        chair = self.labeled.get("chair") or (self.header_names[0] if self.header_names else None)
        secretary = self.labeled.get("secretary")
        if chair is None:
            chair = next((s for s in self.signers if s != secretary), None)
        self.result["chair"] = chair
        self.result["secretary"] = secretary

    # --- header ----------------------------------------------------------------------------

    def _header_lines(self) -> list[_Line]:
        end = self.header_end if self.header_end is not None else len(self.lines)
        return [line for line in self.lines[:end] if line.text][:40]

    def _header(self) -> None:
        header = self._header_lines()
        first = [line for line in self.lines if line.text][:10]
        kind = None
        for line in first:
            folded = line.folded
            if re.match(r"выписка\s+из\s+протокол", folded):
                kind = "extract"
            elif re.match(r"протокол(?![а-я])", folded):
                kind = "protocol"
            elif len(folded) <= 80 and re.search(r"(?:^|\s)справк[аи](?![а-я])", folded):
                kind = "reference"
            if kind:
                break
        self.result["kind"] = kind

        number = None
        for line in header:
            folded = line.folded
            found = None
            if "протокол" in folded:
                found = re.search(r"(?:№|\bn\s|\bno\.?)\s*(\d[\w/-]*)", folded)
            elif re.fullmatch(r"№\s*\S{1,20}", folded):
                found = re.search(r"№\s*(\S+)", folded)
            elif len(folded) <= 80 and _dates(line.text):  # «от 15 ноября 2023 г.      № 3»
                found = re.search(r"№\s*(\d[\w/-]*)\s*$", folded)
            if found:
                number = line.text[found.start(1) : found.end(1)].rstrip(".,;")
                break
        self.result["number"] = number

        self._date(header)
        self.result["place"] = self._place(header)

        if kind is None:
            self.warn(
                "Не распознан вид документа: в начале нет слов «ПРОТОКОЛ», «Выписка из протокола» "
                "или «Справка»."
            )
        if number is None and kind in ("protocol", "extract"):
            self.warn("Не найден номер протокола («№ …»).")
        if self.result["date"] is None:
            self.warn(
                "Не найдена дата протокола: укажите её, например «31.01.2023» или «22 декабря "
                "2023 года»."
            )

    def _date(self, header: list[_Line]) -> None:
        chosen: tuple[date, date, str] | None = None
        ranked: list[tuple[int, int, tuple[date, date, str]]] = []
        for position, line in enumerate(header):
            folded = line.folded
            dates = _dates(line.text)
            if not dates:
                continue
            if re.match(r"дата\b", folded):
                ranked.append((0, position, dates[0]))
            elif "протокол" in folded and re.search(r"\bот\s", folded):
                ranked.append((1, position, dates[0]))
            else:
                start = folded.find(fold(dates[0][2])[:3])
                short = re.sub(r"\b\d{1,2}[:.]\d{2}\b|года?|г\.|[,.\s]", "", folded)
                if start <= 3 and len(short) <= 40:
                    ranked.append((2, position, dates[0]))
        if ranked:
            chosen = min(ranked, key=lambda r: (r[0], r[1]))[2]
        if chosen is None:
            return
        first, last, words = chosen
        self.protocol_date = last
        self.result["date"] = last.isoformat()
        if first != last:
            self.warn(
                f"Дата указана периодом «{words}»: взята последняя дата {last:%d.%m.%Y}. "
                "Проверьте дату протокола."
            )

    @staticmethod
    def _place(header: list[_Line]) -> str | None:
        for line in header:
            found = re.match(r"место(?:\s+проведения)?\s*[:–—-]\s*(.+)$", line.folded)
            if found:
                return line.text[found.start(1) :].strip(" .")
        for line in header:
            found = re.match(
                rf"(?:г\.|город|гор\.|пгт\.?|пос\.|п\.|с\.|село|дер\.|ст-ца)\s*[{_UP}][{_LO}-]+"
                rf"(?:\s+[{_UP}][{_LO}-]+)*",
                line.text,
            )
            if found and len(line.text) <= 80:
                return found.group().strip()
        return None

    # --- attendees -------------------------------------------------------------------------

    def _attendees(self) -> None:
        attendees: list[dict[str, Any]] = []
        group: list[str] = []
        waiting: dict[str, Any] | None = None  # a name whose position is on the next line

        def flush() -> None:
            if group:
                words = " ".join(group)
                attendees.append(
                    {"name": None, "position": None, "organization_id": None, "text": words}
                )
                group.clear()

        for line in self.attendee_lines:
            cells = [c for c in line.cells if c and not re.fullmatch(r"\d{1,3}[.)]?", c)]
            text = " ".join(cells) if len(cells) > 1 else line.text
            text = re.sub(rf"^(?:\d{{1,3}}[.)]|[{_DASH}{re.escape(_BULLETS)}])\s*", "", text)
            if not text:
                continue
            if waiting is not None and line.text[:1] in _DASHES and not _person_name(text):
                waiting["position"] = text.strip(f" {_DASHES},;.") or None
                waiting["organization_id"] = self._organization_of(waiting["position"])
                waiting["text"] += " " + line.text
                waiting = None
                continue
            waiting = None
            names = _names(text)
            if not names or names[0].start() > 3:
                if text.endswith(":"):
                    flush()  # a sub-heading («Руководители образовательных учреждений …:»)
                    continue
                group.append(text)
                if text.endswith((".", ";")):
                    flush()
                continue
            flush()
            for position, match in enumerate(names):
                end = names[position + 1].start() if position + 1 < len(names) else len(text)
                tail = text[match.end() : end].strip(f" {_DASHES},;.\t") or None
                entry = {
                    "name": match.group(),
                    "position": tail,
                    "organization_id": self._organization_of(tail),
                    "text": text[match.start() : end].strip(" ,;"),
                }
                attendees.append(entry)
                if tail is None:
                    waiting = entry
        flush()
        self.result["attendees"] = attendees

    def _organization_of(self, words: str | None) -> int | None:
        if not words or self.directory is None:
            return None
        found = self.directory.resolve(words)
        return found.entry.id if found.status == MATCHED and found.entry else None

    # --- agenda and «СЛУШАЛИ» --------------------------------------------------------------

    def _agenda_line(self, line: _Line) -> str:
        """Add one agenda line; returns the next state («agenda», or «body» when it ended)."""
        text = line.text
        marker = _item_marker(text)
        if marker is not None and marker[2]:
            number, style, rest = marker
            title, speaker = _split_speaker(rest)
            self.agenda.append(
                {
                    "number": number if style in ("num", "paren") else None,
                    "title": title,
                    "speaker": speaker,
                    "heard": None,
                }
            )
            return "agenda"
        speaker = re.match(r"(?:докладчик\w*|выступающ\w*)\s*[:–—-]?\s*(.+)$", fold(text))
        name = _person_name(text)
        if self.agenda and (speaker or (name is not None and name.start() == 0)):
            if self.agenda[-1]["speaker"] is None:
                value = text[speaker.start(1) :] if speaker else text
                self.agenda[-1]["speaker"] = _trim(value)
            return "agenda"
        if self.agenda and text[:1].islower():
            self.agenda[-1]["title"] = (self.agenda[-1]["title"] + " " + text).strip()
            return "agenda"
        if not self.agenda and len(text) <= 500:
            title, speaker_text = _split_speaker(text)
            self.agenda.append(
                {"number": None, "title": title, "speaker": speaker_text, "heard": None}
            )
            return "agenda"
        return "body"

    def _heard_index(self, position: int) -> int:
        pointer = 0
        index = 0
        for k, block in enumerate(self.heard[: position + 1]):
            index = block.question if block.question is not None else pointer
            pointer = index + 1
            if k == position:
                break
        return index

    def _agenda(self) -> None:
        for position, block in enumerate(self.heard):
            index = self._heard_index(position)
            words = "\n".join(block.lines).strip()
            if not words:
                continue
            if index >= len(self.agenda):
                if index > 50:
                    continue
                while len(self.agenda) <= index:
                    k = len(self.agenda)
                    self.agenda.append(
                        {
                            "number": str(k + 1),
                            "title": self.question_titles.get(k, ""),
                            "speaker": None,
                            "heard": None,
                        }
                    )
                if not self.agenda_open:
                    self.warn("Повестка не найдена: вопросы составлены по блокам «СЛУШАЛИ».")
            item = self.agenda[index]
            item["heard"] = f"{item['heard']}\n{words}" if item["heard"] else words
            if item["speaker"] is None:
                first = words.split("\n", 1)[0]
                name = _person_name(first.split(",", 1)[0])
                if name:
                    item["speaker"] = _nominative_name(name.group())
        self.result["agenda"] = self.agenda

    # --- decisions -------------------------------------------------------------------------

    def _decisions(self) -> None:
        if not self.blocks:
            self.warn("Не найден раздел решений («РЕШИЛИ», «ПОСТАНОВИЛИ», «Рекомендации»).")
            return
        items: list[_Item] = []
        several = len(self.blocks) > 1
        for position, block in enumerate(self.blocks):
            label = None
            if several:
                question = block.question if block.question is not None else position
                title = self.agenda[question]["title"] if question < len(self.agenda) else ""
                label = f"Вопрос {question + 1}" + (f". {title}" if title else "")
                label = label if len(label) <= 200 else label[:199] + "…"
            items.extend(self._block_items(block, label))
        if not items:
            self.warn("Раздел решений найден, но пункты в нём не распознаны.")
        if self.directory is None and items:
            self.warn("Справочник организаций не передан: исполнители не сопоставлены.")
        self.result["decisions"] = [self._decision_dict(item) for item in items]

    def _block_items(self, block: _Block, label: str | None) -> list[_Item]:
        """Items of one decision block, with executors and deadlines resolved in order."""
        events: list[tuple[str, Any]] = []  # ("heading", text) | ("item", _Item)
        items: list[_Item] = []
        stack: list[_Item] = []
        current: _Item | None = None
        heading: str | None = None
        table: dict[str, int] | None = None
        table_width = 0
        has_markers = any(
            _item_marker(line.text) is not None and len(line.cells) < 3 for line in block.lines
        )
        lines = block.lines

        def section() -> str | None:
            parts = [p for p in (label, heading) if p]
            return " / ".join(parts) if parts else None

        def add(item: _Item) -> None:
            nonlocal current, stack
            parent = _attach(item, stack)
            item.parent = parent
            if parent is not None:
                parent.children.append(item)
            items.append(item)
            events.append(("item", item))
            current = item

        for position, line in enumerate(lines):
            text = line.text
            if not text:
                continue
            columns = _table_header(line.cells)
            if columns is not None:
                table, table_width = columns, len(line.cells)
                continue
            if table is not None and len(line.cells) == table_width:
                item = _table_item(line.cells, table, section())
                if item is not None:
                    add(item)
                continue
            table = None
            marker = _item_marker(text)
            if marker is not None and marker[2]:
                number, style, rest = marker
                add(
                    _Item(
                        number if style in ("num", "paren", "letter") else None,
                        style,
                        [rest],
                        section(),
                    )
                )
                continue
            if current is not None and _CONTINUATION_LABEL.match(text):
                current.lines.append(text)
                continue
            if self._is_heading(text, current, lines[position + 1 :]):
                heading = text.rstrip(" :").strip() or None
                events.append(("heading", heading or ""))
                stack = []
                current = None
                continue
            starts_paragraph = (not has_markers and text[:1].isupper()) or (
                current is not None
                and current.style == "para"
                and _addressee_start(text)
                and _first_infinitive(text) is not None
            )
            if current is None or starts_paragraph:
                add(_Item(None, "para", [text], section()))
            else:
                current.lines.append(text)

        self._resolve(events)
        return items

    def _is_heading(self, text: str, current: _Item | None, following: list[_Line]) -> bool:
        if len(text) > 300 or _NAME_ONLY.fullmatch(text):
            return False
        if current is not None and current.lines and current.lines[-1].endswith(":"):
            return False
        next_text = next((line.text for line in following if line.text), "")
        next_is_item = _item_marker(next_text) is not None
        addressee = _HEADING_NUMBER.sub("", text)
        if _addressee_start(addressee) and not _has_infinitive(addressee):
            return text.endswith(":") or next_is_item or current is None
        if text.endswith(":"):
            if current is None:
                return True
            last = current.lines[-1] if current.lines else ""
            return text[:1].isupper() and last.endswith((".", ";", "!")) and next_is_item
        return False

    # --- executors and deadlines ----------------------------------------------------------

    def _resolve(self, events: list[tuple[str, Any]]) -> None:
        carried: tuple[list[dict[str, Any]], str | None] | None = None
        for kind, value in events:
            if kind == "heading":
                value = _HEADING_NUMBER.sub("", value)
                if value and _addressee_start(value):
                    executors, group = self._executors_from_head(value, "", "")
                    carried = (executors, group)
                else:
                    carried = None if value else carried
                continue
            item: _Item = value
            own = self._own_executors(item)
            if own is not None:
                item.executors, item.group = own
                if item.heading_addressee and item.parent is None:
                    carried = own
            elif item.parent is not None:
                item.executors = [dict(e) for e in item.parent.executors]
                item.group = item.parent.group
            elif carried is not None:
                item.executors = [dict(e) for e in carried[0]]
                item.group = carried[1]
            noted = _TAKE_NOTE.match(fold(item.text)) and len(item.text) <= 120
            if not item.executors and not noted and (item.parent is None or item.parent.executors):
                self.warn(f"{item.label()}: не указан исполнитель.")
            item.deadline = self._deadline(item)

    def _own_executors(self, item: _Item) -> tuple[list[dict[str, Any]], str | None] | None:
        label = item.label()
        if item.table_executors is not None:
            if not item.table_executors.strip(" -–—"):
                return None
            return self._executors_from_head(item.table_executors, "", label)
        text = item.text
        labeled = _LABELED_EXECUTOR.search(text)
        if _addressee_start(text):
            colon = text.find(":")
            head = text[:colon] if colon > 0 else ""
            if head and not _has_infinitive(head) and len(head) <= 1000:
                tail = text[colon + 1 :].strip()
                if not tail or not _has_infinitive(tail):
                    item.heading_addressee = True
                    return self._executors_from_head(head, tail, label)
                return self._executors_from_head(head, "", label)
            cut = _first_infinitive(text)
            if cut:
                return self._executors_from_head(text[:cut], "", label)
        if labeled:
            return self._executors_from_head(labeled["value"], "", label)
        return None

    def _executors_from_head(
        self, head: str, tail: str, label: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Executors of «head: tail»: the list in the tail if it names any, else the head."""
        head = _trim(head)
        group = head if group_kinds(head) is not None else None
        if tail:
            listed = _split_executors(tail)
            resolved = [self._fragment(f, None) for f in listed]
            named = any(
                e["kind"] in ("organization", "ambiguous", "person") for r in resolved for e in r
            )
            if named or (self.directory is None and any(_looks_like_org(f) for f in listed)):
                executors = []
                for fragment, found in zip(listed, resolved, strict=True):
                    executors.extend(self._fragment(fragment, label) if label else found)
                return _unique(executors), group
        executors = []
        for fragment in _split_executors(head):
            executors.extend(self._fragment(fragment, label))
        executors = _unique(executors)
        if group is None:
            groups = [e["text"] for e in executors if e["kind"] == "group"]
            group = groups[0] if len(set(groups)) == 1 else None
        return executors, group

    def _fragment(self, words: str, label: str | None) -> list[dict[str, Any]]:
        """Executors for one addressee's words; ``label`` set: warn about what is unresolved."""
        words = _trim(" ".join(words.split()))

        def warn(message: str) -> None:
            if label is not None:
                self.warn(f"{label}: {message}" if label else message[:1].upper() + message[1:])

        kinds = group_kinds(words)
        if kinds is not None:
            members = self.directory.members(words) if self.directory is not None else None
            if members:
                return [_executor(words, e.id, "group") for e in members]
            if self.directory is not None:
                warn(f"в справочнике нет организаций для группы «{words}».")
            return [_executor(words, None, "group")]
        plain = re.sub(r"\([^)]*\)", " ", words)
        match = self.directory.resolve(plain) if self.directory is not None else None
        if match is not None and match.status == MATCHED and match.entry is not None:
            return [_executor(words, match.entry.id, "organization")]
        if match is not None and match.status == AMBIGUOUS:
            names = ", ".join(f"«{e.short_name}»" for e, _ in match.candidates[:3])
            warn(f"исполнитель «{words}» неоднозначен (подходят {names}): выберите организацию.")
            return [_executor(words, None, "ambiguous", match.candidates)]
        if _person_name(words):
            return [_executor(words, None, "person")]
        if self.directory is not None:
            warn(f"исполнитель «{words}» не найден в справочнике организаций.")
        candidates = match.candidates if match is not None else ()
        return [_executor(words, None, "unmatched", candidates)]

    def _deadline(self, item: _Item) -> dict[str, Any] | None:
        reference = self.protocol_date or self.today
        label = item.label()
        found: Deadline | None = None
        try:
            if item.table_deadline is not None:
                if item.table_deadline.strip():
                    try:
                        found = parse_deadline(item.table_deadline, today=reference)
                    except DeadlineError as error:
                        found = find_deadline(item.table_deadline, today=reference)
                        if found is None:
                            self.warn(f"{label}: {error}")
                    if found is not None and found.kind == "none":
                        found = None
            else:
                found = find_deadline(item.text, today=reference)
                if found is None:
                    written = _DEADLINE_LABEL.search(fold(item.text)) or _DEADLINE_WORDS.search(
                        fold(item.text)
                    )
                    if written:
                        group = "value" if "value" in written.re.groupindex else 0
                        value = item.text[written.start(group) : written.end(group)]
                        try:
                            parsed = parse_deadline(value, today=reference)
                            found = parsed if parsed.kind != "none" else None
                        except DeadlineError as error:
                            self.warn(f"{label}: {error}")
        except Exception:  # a deadline that cannot be read must not stop the protocol
            found = None
        if found is None:
            if item.parent is not None and item.parent.deadline is not None:
                return dict(item.parent.deadline)
            return None
        found = self._roll_year(found)
        if (
            found.due_date is not None
            and self.protocol_date is not None
            and found.due_date < self.protocol_date
        ):
            self.warn(
                f"{label}: срок «{found.text}» ({found.due_date:%d.%m.%Y}) раньше даты протокола "
                f"{self.protocol_date:%d.%m.%Y}: проверьте год."
            )
        return found.to_dict()

    def _roll_year(self, found: Deadline) -> Deadline:
        """«до 1 марта» written in December means next March: move a year-less date forward."""
        if (
            found.kind != "date"
            or found.due_date is None
            or self.protocol_date is None
            or found.due_date >= self.protocol_date
            or re.search(r"\d{4}|\d{1,2}[./]\d{1,2}[./]\d{2}(?!\d)", found.text)
        ):
            return found
        try:
            moved = found.due_date.replace(year=found.due_date.year + 1)
        except ValueError:
            return found
        return Deadline(found.text, found.kind, moved, found.rule, found.offset_days, found.event)

    def _decision_dict(self, item: _Item) -> dict[str, Any]:
        return {
            "number": item.number,
            "parent": _reference(item.parent) if item.parent is not None else None,
            "section": item.section,
            "text": item.text,
            "executors": item.executors,
            "executor_group": item.group,
            "deadline": item.deadline,
        }


# --- helpers for items ------------------------------------------------------------------------


def _ordinal(word: str) -> int | None:
    digits = re.match(r"\d+", word)
    if digits:
        return int(digits.group())
    return next((n for stem, n in _ORDINALS.items() if word.startswith(stem)), None)


def _item_marker(text: str) -> tuple[str | None, str, str] | None:
    """(number, style, rest) if the line opens a list item, else None."""
    found = _ITEM_NUMBER.match(text)
    if found:
        number, punct, rest = found["num"], found["punct"], found["rest"]
        parts = number.split(".")
        if any(len(p) > 1 and p.startswith("0") for p in parts):
            return None
        if punct is None and len(parts) == 1:
            return None
        if punct is None and not rest.startswith((" ", "\t")):
            return None
        stripped = rest.strip()
        if not stripped or stripped[0].isdigit() or stripped[0] in "%,.:/":
            return None
        return number, "paren" if punct == ")" else "num", stripped
    found = _ITEM_LETTER.match(text)
    if found:
        return found["num"], "letter", found["rest"].strip()
    found = _ITEM_DASH.match(text)
    if found:
        return None, "dash", found["rest"].strip()
    found = _ITEM_BULLET.match(text)
    if found:
        return None, "bullet", found["rest"].strip()
    return None


def _attach(item: _Item, stack: list[_Item]) -> _Item | None:
    """Find the item's parent and update the chain of open items (``stack``) in place."""
    if item.style in ("num", "table") and item.number:
        parent = None
        for depth in range(len(stack) - 1, -1, -1):
            candidate = stack[depth]
            if (
                candidate.style in ("num", "table")
                and candidate.number
                and item.number.startswith(candidate.number + ".")
            ):
                parent = candidate
                del stack[depth + 1 :]
                break
        else:
            stack.clear()
        stack.append(item)
        return parent
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


def _reference(item: _Item) -> str:
    """The item's number; for an item without one, its index path («1.2/3»: 3rd under 1.2)."""
    if item.number:
        return item.number
    siblings = item.parent.children if item.parent is not None else []
    position = next((k for k, s in enumerate(siblings, start=1) if s is item), 1)
    base = _reference(item.parent) if item.parent is not None else ""
    return f"{base}/{position}"


def _split_speaker(text: str) -> tuple[str, str | None]:
    """«Title – И.О. Фамилия, должность;» -> (title, speaker)."""
    text = text.strip()
    paren = re.search(
        r"\((?:докладчик\w*|выступающ\w*|отв\.|ответственн\w*)\s*[:–—-]?\s*([^)]+)\)\s*[.;]?$",
        text,
        re.IGNORECASE,
    )
    if paren:
        return _trim(text[: paren.start()]), _trim(paren.group(1))
    for separator in reversed(list(re.finditer(rf"\s[{_DASH}]\s*|[{_DASH}]\s", text))):
        tail = text[separator.end() :].strip()
        if not tail:
            continue
        name = _person_name(tail)
        starts_with_name = name is not None and name.start() == 0
        word = _first_word(tail)
        role = word and tail.startswith(word) and lemma(fold(word)) in _ROLE_WORDS
        if starts_with_name or role:
            title = _trim(text[: separator.start()])
            if title:
                return title, _trim(tail)
    return _trim(text), None


def _split_executors(text: str) -> list[str]:
    """«МБОУ … «СОШ № 1, МБОУ … «СОШ № 2»» -> one string per addressee (quotes may not pair)."""
    pieces: list[str] = []
    for part in re.split(r"[;\n]", text):
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
            if separator:
                after = part[position + separator.end() :]
                if _starts_new_executor(after) or (depth == 0 and _NAME_RE.match(after.lstrip())):
                    pieces.append(part[start:position])
                    start = position + separator.end()
                    depth = 0
                    position = start
                    continue
            position += 1
        pieces.append(part[start:])
    cleaned = [_trim(" ".join(p.split())) for p in pieces]
    expanded = [part for p in cleaned for part in _number_list(p)]
    return [p for p in expanded if p and re.search(r"[А-ЯЁа-яёA-Za-z]", p)][:_MAX_FRAGMENTS]


_NUMBER_LIST = re.compile(r"№№?\s*\d{1,4}(?:\s*(?:,|и)\s*(?:№\s*)?\d{1,4}(?![\d.]))+")


def _number_list(words: str) -> list[str]:
    """«Директорам школ № 3 и № 33» -> «Директорам школ № 3», «Директорам школ № 33»."""
    found = _NUMBER_LIST.search(words)
    if not found:
        return [words]
    head, tail = words[: found.start()], words[found.end() :]
    return [f"{head}№ {n}{tail}" for n in re.findall(r"\d{1,4}", found.group())]


def _table_header(cells: list[str]) -> dict[str, int] | None:
    """Column positions of a decisions table's header row, or None if the row is not one."""
    if len(cells) < 3:
        return None
    folded = [fold(c) for c in cells]
    executor = next(
        (k for k, c in enumerate(folded) if re.search(r"ответствен|исполнител", c)), None
    )
    due = next((k for k, c in enumerate(folded) if re.search(r"^срок", c)), None)
    if executor is None or due is None or any(len(c) > 60 for c in folded):
        return None
    number = next((k for k, c in enumerate(folded) if re.search(r"^№|п/п|^n$", c)), None)
    taken = {executor, due, number}
    text = next(
        (
            k
            for k, c in enumerate(folded)
            if k not in taken
            and re.search(r"содержани|решени|мероприяти|поручени|наименовани|вопрос|пункт", c)
        ),
        None,
    )
    if text is None:
        text = next((k for k in range(len(cells)) if k not in taken), None)
    if text is None:
        return None
    columns = {"executor": executor, "due": due, "text": text}
    if number is not None:
        columns["number"] = number
    return columns


def _table_item(cells: list[str], columns: dict[str, int], section: str | None) -> _Item | None:
    text = cells[columns["text"]].strip()
    if not text:
        return None
    number = None
    if "number" in columns:
        written = cells[columns["number"]].strip().rstrip(".)")
        if re.fullmatch(r"[1-9]\d?(?:\.[1-9]\d?)*", written):
            number = written
    item = _Item(number, "table" if number else "para", [text], section)
    item.table_executors = cells[columns["executor"]]
    item.table_deadline = cells[columns["due"]]
    return item


def _unique(executors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each organization once («Руководителям ОО и заведующим ДОУ» name kindergartens twice)."""
    seen: set[int] = set()
    kept = []
    for executor in executors:
        organization = executor["organization_id"]
        if organization is not None:
            if organization in seen:
                continue
            seen.add(organization)
        kept.append(executor)
    return kept


def _executor(
    words: str,
    organization_id: int | None,
    kind: str,
    candidates: tuple[tuple[DirectoryEntry, float], ...] = (),
) -> dict[str, Any]:
    return {
        "text": words,
        "organization_id": organization_id,
        "kind": kind,
        "candidates": [
            {"organization_id": e.id, "name": e.short_name, "score": float(score)}
            for e, score in candidates
        ],
    }


def _empty_result() -> dict[str, Any]:
    return {
        "kind": None,
        "number": None,
        "date": None,
        "place": None,
        "chair": None,
        "secretary": None,
        "attendees": [],
        "agenda": [],
        "decisions": [],
        "warnings": [],
    }


# --- public API -------------------------------------------------------------------------------


def read_protocol(
    text: str, directory: Directory | None = None, *, today: date | None = None
) -> dict[str, Any]:
    """Read a protocol's text into a JSON-serializable draft; never raises.

    ``directory`` matches executors and attendees to organizations (none: left unmatched);
    ``today`` dates deadlines written without a year when the protocol's own date is unknown.
    """
    if not isinstance(text, str):
        result = _empty_result()
        result["warnings"] = ["Текст протокола не получен."]
        return result
    try:
        return _Reader(text, directory, today).read()
    except Exception:  # the contract: a draft with a warning, never an error page
        result = _empty_result()
        result["warnings"] = [
            "Не удалось разобрать текст протокола: проверьте, что это текст протокола, "
            "и заполните поля вручную."
        ]
        return result
