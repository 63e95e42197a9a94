"""Deadlines as written in protocols: Russian words -> a machine form.

See DESIGN.md, «Deadlines as written». Pure logic: no Flask, no database (error messages are
translated through tracker.core.i18n, imported only when a message is made).

Semantics chosen here (never guess):
- ``today`` is the reference day: the document's date when there is one. A date without a year
  takes its year; «в течение 10 дней», «в 2-недельный срок», «в месячный срок» count from it.
  Without it those are errors, as are impossible dates, «до января 2024» («before» or «by the
  end of»?), «в течение года», school years and periods after some other event;
- a period written as a range («с 1 по 28 февраля 2005 года», «январь – февраль 2021 г.»,
  «2023–2024 гг.») is due on its last day;
- periods (month, quarter, half-year, year) are due on their last day;
- recurring rules are due on the last day of each period: «ежемесячно» is
  ``FREQ=MONTHLY;BYMONTHDAY=-1``, «ежеквартально» ``FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1``,
  «еженедельно» ``FREQ=WEEKLY;BYDAY=SU``, «ежедневно» ``FREQ=DAILY``; «ежегодно до 1 июля» is
  ``FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1``;
- relative deadlines count calendar days; working days are rejected (no production calendar yet).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from dateutil.rrule import rrulestr

if TYPE_CHECKING:
    import pymorphy3

KINDS = ("date", "month", "ongoing", "recurring", "relative", "none")


class DeadlineError(ValueError):
    """Raised with a user-facing message that says what was expected (in the reader's language
    within a request, Russian elsewhere)."""


@dataclass(frozen=True)
class Deadline:
    text: str
    kind: str
    due_date: date | None
    rule: str | None = None
    offset_days: int | None = None
    event: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown deadline kind {self.kind!r}")

    def to_dict(self) -> dict[str, str | int | None]:
        return {
            "kind": self.kind,
            "date": self.due_date.isoformat() if self.due_date else None,
            "text": self.text,
            "rule": self.rule,
            "offset_days": self.offset_days,
            "event": self.event,
        }


# --- messages ---------------------------------------------------------------------------------
# In the reader's language within a request, Russian elsewhere (tracker.core.i18n). The examples
# are deadline words as the reader must type them, so they stay Russian in every language: they
# are passed as values, not written into the translated text.


def _(text: str, /, **values: object) -> str:
    """Translate through tracker.core.i18n, imported on use: this module stays free of Flask."""
    from tracker.core.i18n import _ as translate

    return translate(text, **values)


_EXAMPLES = (
    "«до 27.02.2023», «январь 2024 года», «постоянно», «ежеквартально», "
    "«за 3 дня до проведения процедуры»"
)


def _unreadable(text: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "…"
    return _(
        "Не удалось распознать срок «%(text)s». Напишите, например: %(examples)s.",
        text=shown,
        examples=_EXAMPLES,
    )


def _working_days() -> str:
    return _(
        "Сроки в рабочих днях пока не поддерживаются: укажите календарные дни, "
        "например %(days)s, или дату %(date)s.",
        days="«за 3 дня до проведения процедуры»",
        date="«до 27.02.2023»",
    )


# Shown instead of the generic message when the words are recognisable but not enough.
_HINTS: list[tuple[re.Pattern[str], Callable[[], str]]] = [
    (re.compile(r"рабоч\w*\s+(?:дн|день|сут)", re.IGNORECASE), _working_days),
    (
        re.compile(r"учебн\w*\s+год", re.IGNORECASE),
        lambda: _(
            "Учебный год не задаёт дату: укажите её, например %(date)s или %(month)s.",
            date="«до 31.05.2024»",
            month="«май 2024 года»",
        ),
    ),
    (
        re.compile(r"в\s+течение\s+(?:[0-9]+|\w+)\s+(?:дн|дне|сут|недел|месяц)", re.IGNORECASE),
        lambda: _(
            "Срок %(words)s не привязан к дате: укажите дату, например %(date)s.",
            words="«в течение …»",
            date="«до 27.02.2023»",
        ),
    ),
    (
        re.compile(r"ежеквартально\s*,?\s*до\s+[0-9]", re.IGNORECASE),
        lambda: _(
            "Уточните месяц: %(example)s.",
            example="«ежеквартально до 5 числа месяца, следующего за отчетным»",
        ),
    ),
    (
        re.compile(r"до\s+[0-9]+\S*\s+числа", re.IGNORECASE),
        lambda: _(
            "Уточните месяц: %(example)s или дату %(date)s.",
            example="«до 20 числа каждого месяца»",
            date="«до 20.03.2024»",
        ),
    ),
    (
        re.compile(r"^(?!.*[0-9]{4}).*(?:год|месяц|квартал|полугоди)", re.IGNORECASE),
        lambda: _(
            "Срок неоднозначен: укажите год, например %(examples)s или %(date)s.",
            examples="«в течение 2024 года», «январь 2024 года»",
            date="«до 31.05.2024»",
        ),
    ),
]

# --- vocabulary -------------------------------------------------------------------------------


def _months() -> dict[str, int]:
    forms: dict[str, int] = {}
    # «format» gives the genitive («1 марта»), «stand-alone» the nominative («март»).
    for context in ("format", "stand-alone"):
        for number, name in get_month_names("wide", context=context, locale="ru").items():
            forms[name.lower()] = number
    # Babel has no locative («в январе»): the nominative without «ь»/«й», plus «е».
    for number, name in get_month_names("wide", context="stand-alone", locale="ru").items():
        forms[name.lower().rstrip("ьй") + "е"] = number
    return forms


def _weekdays() -> dict[str, str]:
    codes = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # Babel numbers Monday as 0
    forms: dict[str, str] = {}
    for number, name in get_day_names("wide", context="format", locale="ru").items():
        name = name.lower()
        forms[name] = codes[number]
        if name.endswith("а"):  # accusative: «каждую пятницу», «в среду»
            forms[name[:-1] + "у"] = codes[number]
        # dative plural: «по пятницам», «по средам», «по воскресеньям»
        forms[(name[:-1] + "ям" if name.endswith("е") else name.rstrip("а") + "ам")] = codes[number]
    return forms


_MONTHS = _months()
_WEEKDAYS = _weekdays()
_NUMBER_LEMMAS = (
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
    "двадцать",
)
_TENS = (20, 30)
_PERIOD_RULES = {
    "недел": "FREQ=WEEKLY;BYDAY=SU",
    "меся": "FREQ=MONTHLY;BYMONTHDAY=-1",  # «месяц», «ежемесячно»
    "квартал": "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
    "полугод": "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
    "год": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31",
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_ORDINALS = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4}
_STRONG_PERIOD_CUES = ("в течение", "до конца", "к концу", "не позднее конца")
_NONE_WORDS = re.compile(r"[-–—]+|нет|без\s+срока|не\s+(?:установлен|указан)[оа]?", re.IGNORECASE)
# «в 2-недельный срок», «в трёхдневный срок»: the count before «-дневный» written as a word
_COMPOUND_COUNTS = {
    "одно": 1,
    "двух": 2,
    "трех": 3,
    "четырех": 4,
    "пяти": 5,
    "шести": 6,
    "семи": 7,
    "восьми": 8,
    "девяти": 9,
    "десяти": 10,
    "пятнадцати": 15,
    "двадцати": 20,
    "тридцати": 30,
}
_EARLIEST_YEAR = 1990  # archives hold papers from the 1990s on


@cache
def _morph() -> pymorphy3.MorphAnalyzer:
    import pymorphy3  # loading the dictionaries takes a moment: only when first needed

    return pymorphy3.MorphAnalyzer()


@cache
def _number_words() -> dict[str, int]:
    """Every case form of один…двадцать, тридцать (ё folded to е) -> its value."""
    words: dict[str, int] = {}
    for value, lemma in [*enumerate(_NUMBER_LEMMAS, start=1), (30, "тридцать")]:
        parse = next(p for p in _morph().parse(lemma) if p.normal_form == lemma)
        for form in parse.lexeme:
            words[form.word.replace("ё", "е")] = value
    return words


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))  # longest first


# --- patterns ---------------------------------------------------------------------------------
# Each pattern reads one kind. All share an optional label («Срок:», «в срок», «в следующие
# сроки:») and most an optional cue («до», «в течение»); find_deadline() needs one of them for
# dates and periods so that «приказ от 10.01.2022» is not taken for a deadline.

_LABEL = r"""
    (?:(?P<label>(?:(?:в|установить)\s+)?(?:следующие\s+)?сроки?
          (?:\s+(?:исполнения|выполнения|готовности|представления|предоставления|проведения
                 |реализации|сдачи|окончания)(?:\s+[^\W\d_]+){0,2}?)?)(?!\w)
       \s*(?:[:–—-]\s*)?)?
"""
_YEAR_WORD = r"(?:\s*(?:год(?:а|у)?(?!\w)|гг?\.|г(?!\w)))"
_DAY = r"(?P<day>[0-9]{1,2})(?:\s*-?\s*(?:го|е))?\s+числа"
_FOLLOWING = r"\s*,?\s*следующего\s+за\s+отчетным(?:\s+(?:месяцем|кварталом|периодом))?"
_IN_TIME = r"(?:в\s+срок\s+)?(?:до|не\s+позднее)"  # «ежемесячно в срок до 5 числа»
_EVENT = r"(?P<event>[^\W\d_][^.;,()\n]{0,150}?)(?=\s*(?:[.;,()\n]|$))"

_DATE = rf"""
    (?:(?P<cue>до|не\s+позднее(?:\s+чем)?|к)\s+)?
    (?: # 27.02.2023, 27/02/23, 27.02
        (?P<d>[0-9]{{1,2}})(?P<sep>[./])(?P<m>[0-9]{{1,2}})(?:(?P=sep)(?P<y>[0-9]{{4}}|[0-9]{{2}}))?
        (?![0-9])(?![./][0-9])
      | (?P<iy>[0-9]{{4}})-(?P<im>[0-9]{{2}})-(?P<id>[0-9]{{2}})(?![0-9])  # 2023-02-27
      | # «1» марта 2024, 1 марта
        [«"“„']?\s*(?P<wd>[0-9]{{1,2}})\s*[»"”']?\s+(?P<wm>{_alternation(_MONTHS)})(?!\w)
        (?:\s+(?P<wy>[0-9]{{4}})(?![0-9]))?
    ){_YEAR_WORD}?
"""
_PERIOD = rf"""
    (?:(?P<cue>в\s+течение|до\s+конца|к\s+концу|не\s+позднее\s+конца|в|во)\s+)?
    (?: (?:(?P<first>{_alternation(_MONTHS)})(?:\s*[-–—,]\s*|\s+и\s+))?  # «январь – февраль»
        (?P<month>{_alternation(_MONTHS)})(?!\w)  # январь, января, январе
      | (?P<q>iv|i{{1,3}}|[1-4])(?:\s*-?\s*(?:й|го|м|ом))?\s+квартал(?:а|е|у|ом)?(?!\w)
      | (?P<qw>перв|втор|трет|четверт)(?:ый|ий|ого|его|ом|ем|ому|ему)\s+квартал(?:а|е|у|ом)?(?!\w)
      | (?P<h>i{{1,2}}|[12])(?:\s*-?\s*(?:е|го|м|ом))?\s+полугоди[еяию](?:м)?(?!\w)
      | (?P<hw>перв|втор)(?:ое|ого|ом|ому)\s+полугоди[еяию](?:м)?(?!\w)
    )?  # none: the whole year
    \s*,?\s*(?<![0-9/–-])(?P<year>[0-9]{{4}})(?![0-9]|[/–-][0-9])(?P<yword>{_YEAR_WORD})?
"""
# «до конца марта»: a month's end without the year, which then comes from ``today``.
_MONTH_END = rf"""
    (?P<cue>до\s+конца|к\s+концу|не\s+позднее\s+конца)\s+(?P<month>{_alternation(_MONTHS)})(?!\w)
    (?!\s*,?\s*[0-9]{{4}})
"""
_ONGOING = r"""
    (?:постоянно(?!\s+действующ)|на\s+постоянной\s+основе|в\s+постоянном\s+режиме
      |систематически|регулярно)(?!\w)
"""
_MONTHLY_DAY = rf"""
    (?:ежемесячно|каждый\s+месяц)\s*,?\s*{_IN_TIME}\s+{_DAY}
    (?:\s+(?:каждого\s+|текущего\s+)?месяца)?(?:{_FOLLOWING})?
"""
_DAY_OF_EACH_MONTH = rf"до\s+{_DAY}\s+(?:каждого\s+месяца|ежемесячно)(?:{_FOLLOWING})?"
_QUARTERLY_DAY = rf"ежеквартально\s*,?\s*{_IN_TIME}\s+{_DAY}(?:\s+месяца)?{_FOLLOWING}"
_YEARLY_DAY = rf"""
    (?:ежегодно|каждый\s+год)\s*,?\s*(?:в\s+срок\s+)?(?:до|к|не\s+позднее)\s+
    [«"]?(?P<day>[0-9]{{1,2}})[»"]?
    (?:\s+(?P<month>{_alternation(_MONTHS)})(?!\w)|\.(?P<num>[0-9]{{1,2}})(?![0-9.]))
"""
_DAILY = r"(?:ежедневно|каждый\s+день)(?!\w)"
_DATE_RANGE = rf"""
    (?:(?:в\s+период|в\s+срок)\s+)?с\s+(?P<d1>[0-9]{{1,2}})
    (?:\s+(?:{_alternation(_MONTHS)})(?:\s+[0-9]{{4}})?|[./][0-9]{{1,2}}(?:[./](?:[0-9]{{4}}|[0-9]{{2}}))?)?
    \s+(?:по|до)\s+
    (?: (?P<d>[0-9]{{1,2}})[./](?P<m>[0-9]{{1,2}})(?:[./](?P<y>[0-9]{{4}}|[0-9]{{2}}))?(?![0-9])
      | (?P<wd>[0-9]{{1,2}})\s+(?P<wm>{_alternation(_MONTHS)})(?!\w)
        (?:\s+(?P<wy>[0-9]{{4}})(?![0-9]))?
    ){_YEAR_WORD}?
  | (?P<r1>[0-9]{{1,2}})\s*[-–—]\s*(?P<rd>[0-9]{{1,2}})\s+(?P<rm>{_alternation(_MONTHS)})(?!\w)
    (?:\s+(?P<ry>[0-9]{{4}})(?![0-9]))?{_YEAR_WORD}?
"""
_YEAR_RANGE = r"""
    (?:(?P<cue>в\s+течение|до\s+конца|в|во)\s+)?
    (?<![0-9])[0-9]{4}\s*[-–—]\s*(?P<year>[0-9]{4})(?![0-9])
    \s*(?:гг\.?|годы|годов|годах|года|г\.)
"""
_WITHIN = r"""
    (?: (?:в\s+течение|в\s+пределах)\s+
        (?:(?P<num>[0-9]{1,3}(?:-?х)?|[^\W\d_]+?)\s+)??
        (?P<unit>дней|дня|день|суток|сутки|недели|неделю|недель|месяцев|месяца|месяц)(?!\w)
      | в\s+(?P<cnum>[0-9]{1,3}\s*-?\s*|[^\W\d_]+?)?(?P<cunit>дневный|недельный|месячный)\s+срок
    )
    (?P<since>\s*,?\s*(?:со\s+дня|с\s+момента|с\s+даты|после|с)\s+[^.;,()\n]{1,80})?
"""
# «со дня подписания настоящего приказа»: the document itself starts the count
_SINCE_DOCUMENT = re.compile(
    r"(?:со\s+дня|с\s+момента|с\s+даты)\s+(?:его\s+)?(?:подписания|издания|принятия|утверждения"
    r"|опубликования|получения\s+настоящ|вступления\s+в\s+силу)(?:\s+настоящ\w+(?:\s+\w+)?)?\s*$"
    r"|настоящ",
    re.IGNORECASE,
)
_WEEKDAY = rf"""
    (?:кажд(?:ый|ую|ое)|еженедельно\s+(?:в|во|по)|(?:еженедельно\s+)?по)
    \s+(?P<weekday>{_alternation(_WEEKDAYS)})(?!\w)
"""
_EVERY = r"""
    (?P<every>еженедельно|ежемесячно|ежеквартально|ежеполугодно|ежегодно
      |(?:один\s+|1\s+)?раз\s+в\s+(?:неделю|месяц|квартал|полугодие|год)
      |кажд(?:ую|ый|ое)\s+(?:неделю|месяц|квартал|полугодие|год))(?!\w)(?!\s*,?\s*до\s+[0-9])
"""


def _relative() -> str:
    words = _alternation(_number_words())
    return rf"""
        (?:не\s+(?:менее|позднее|позже)\s+(?:чем\s+)?)?(?:за\s+)?
        (?:(?P<num>[0-9]{{1,3}}|(?:{words})(?:\s+(?:{words}))?)(?:-?х)?\s+)?
        (?:(?P<workdays>рабоч\w*)\s+|календарн\w*\s+)?
        (?P<unit>дней|дня|день|суток|сутки|недели|неделю|недель)
        \s+до\s+{_EVENT}
    """


# --- builders: a match -> a Deadline, or DeadlineError ---------------------------------------
# ``source`` is the caller's text before «ё» folding; the match's offsets index into it.


def _words(m: re.Match[str], source: str, group: int | str = 0) -> str:
    return source[m.start(group) : m.end(group)].strip()


def _year(value: str) -> int:
    year = int(value) + (2000 if len(value) == 2 else 0)
    if not _EARLIEST_YEAR <= year <= 2099:
        raise DeadlineError(
            _(
                "Год %(year)s вне допустимого диапазона: укажите год %(first)s–2099.",
                year=value,
                first=_EARLIEST_YEAR,
            )
        )
    return year


def _build_date(m: re.Match[str], source: str, today: date | None) -> Deadline:
    text = _words(m, source)
    if m["iy"]:
        return _dated(text, m["id"], int(m["im"]), m["iy"], today)
    month = int(m["m"]) if m["m"] else _MONTHS[m["wm"].lower()]
    return _dated(text, m["d"] or m["wd"], month, m["y"] or m["wy"], today)


def _build_date_range(m: re.Match[str], source: str, today: date | None) -> Deadline:
    """«с 1 по 28 февраля 2005 года», «25–27 декабря 2019 года»: due on the last day."""
    if m["rd"]:
        return _dated(_words(m, source), m["rd"], _MONTHS[m["rm"].lower()], m["ry"], today)
    if m["wd"]:
        return _dated(_words(m, source), m["wd"], _MONTHS[m["wm"].lower()], m["wy"], today)
    return _dated(_words(m, source), m["d"], int(m["m"]), m["y"], today)


def _dated(text: str, day: str, month: int, year_text: str | None, today: date | None) -> Deadline:
    if year_text:
        year = _year(year_text)
    elif today is not None:
        year = today.year
    else:
        raise DeadlineError(
            _(
                "В сроке «%(text)s» не указан год: напишите, например, %(example)s.",
                text=text,
                example="«до 27.02.2023»",
            )
        )
    try:
        return Deadline(text, "date", date(year, month, int(day)))
    except ValueError:
        raise DeadlineError(
            _(
                "Даты %(date)s не существует: проверьте день и месяц в сроке «%(text)s».",
                date=f"{int(day):02d}.{month:02d}.{year}",
                text=text,
            )
        ) from None


def _build_year_range(m: re.Match[str], source: str, today: date | None) -> Deadline:
    year = _year(m["year"])
    return Deadline(_words(m, source), "month", date(year, 12, 31))


def _build_within(m: re.Match[str], source: str, today: date | None) -> Deadline:
    """«в течение 10 дней», «в 2-недельный срок»: counted from ``today`` (the document's date)."""
    text = _words(m, source)
    since = m["since"]
    if since and not _SINCE_DOCUMENT.search(since.strip()):
        raise DeadlineError(
            _(
                "Срок «%(text)s» отсчитывается от события, дата которого неизвестна: укажите "
                "дату, например %(date)s.",
                text=text,
                date="«до 27.02.2023»",
            )
        )
    if today is None:
        raise DeadlineError(
            _(
                "Срок %(words)s не привязан к дате: укажите дату, например %(date)s.",
                words="«в течение …»",
                date="«до 27.02.2023»",
            )
        )
    unit = (m["unit"] or m["cunit"]).lower()
    count = _span_count(m["num"] if m["unit"] else m["cnum"], text)
    try:
        if unit.startswith("меся"):
            month = today.month - 1 + count
            year, month = today.year + month // 12, month % 12 + 1
            due = date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
        else:
            due = today + timedelta(days=count * (7 if unit.startswith("недел") else 1))
    except (ValueError, OverflowError):
        raise DeadlineError(_unreadable(text)) from None
    return Deadline(text, "date", due)


def _span_count(written: str | None, text: str) -> int:
    """The count in «в течение двух недель», «в 10-дневный срок»; none written means one."""
    words = re.sub(r"(?<=[0-9])-?х$", "", (written or "").strip(" -").lower().replace("ё", "е"))
    if not words:
        return 1
    if words.isdigit():
        count = int(words)
    elif words in _COMPOUND_COUNTS:
        count = _COMPOUND_COUNTS[words]
    elif words in _number_words():
        count = _number_words()[words]
    else:
        raise DeadlineError(_unreadable(text))
    if not 1 <= count <= 366:
        raise DeadlineError(_unreadable(text))
    return count


def _build_yearly_day(m: re.Match[str], source: str, today: date | None) -> Deadline:
    month = _MONTHS[m["month"].lower()] if m["month"] else int(m["num"])
    day = int(m["day"])
    try:
        date(2001, month, day)  # a year without 29 February: a rule must meet every year
    except ValueError:
        raise DeadlineError(_unreadable(_words(m, source))) from None
    rule = f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY={day}"
    return Deadline(_words(m, source), "recurring", None, rule=rule)


def _build_daily(m: re.Match[str], source: str, today: date | None) -> Deadline:
    return Deadline(_words(m, source), "recurring", None, rule="FREQ=DAILY")


def _build_period(m: re.Match[str], source: str, today: date | None) -> Deadline:
    text = _words(m, source)
    year = _year(m["year"])
    if m["month"]:
        month = _MONTHS[m["month"].lower()]
    elif m["q"] or m["qw"]:
        month = 3 * _ordinal(m["q"], m["qw"])
    elif m["h"] or m["hw"]:
        month = 6 * _ordinal(m["h"], m["hw"])
    else:
        cue = " ".join((m["cue"] or "").lower().split())
        if not m["yword"] and cue not in _STRONG_PERIOD_CUES:
            raise DeadlineError(_unreadable(text))  # a bare «2024» is not a deadline
        month = 12
    return Deadline(text, "month", date(year, month, calendar.monthrange(year, month)[1]))


def _build_month_end(m: re.Match[str], source: str, today: date | None) -> Deadline:
    text = _words(m, source)
    if today is None:
        raise DeadlineError(
            _(
                "В сроке «%(text)s» не указан год: напишите, например, %(example)s.",
                text=text,
                example="«до конца марта 2024 года»",
            )
        )
    month = _MONTHS[m["month"].lower()]
    last = calendar.monthrange(today.year, month)[1]
    return Deadline(text, "month", date(today.year, month, last))


def _ordinal(figure: str | None, word: str | None) -> int:
    """«II» / «2» / «втор(ое)» -> 2."""
    if figure:
        return _ROMAN.get(figure.lower()) or int(figure)
    return _ORDINALS[(word or "").lower()]


def _build_ongoing(m: re.Match[str], source: str, today: date | None) -> Deadline:
    return Deadline(_words(m, source), "ongoing", None)


def _monthday(m: re.Match[str]) -> int:
    day = int(m["day"])
    if not 1 <= day <= 28:  # RRULE skips months without day 29-31: that would drop deadlines
        raise DeadlineError(
            _(
                "Укажите число от 1 до 28 или напишите %(word)s (последний день месяца).",
                word="«ежемесячно»",
            )
        )
    return day


def _build_monthly_day(m: re.Match[str], source: str, today: date | None) -> Deadline:
    rule = f"FREQ=MONTHLY;BYMONTHDAY={_monthday(m)}"
    return Deadline(_words(m, source), "recurring", None, rule=rule)


def _build_quarterly_day(m: re.Match[str], source: str, today: date | None) -> Deadline:
    rule = f"FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY={_monthday(m)}"
    return Deadline(_words(m, source), "recurring", None, rule=rule)


def _build_weekday(m: re.Match[str], source: str, today: date | None) -> Deadline:
    rule = f"FREQ=WEEKLY;BYDAY={_WEEKDAYS[m['weekday'].lower()]}"
    return Deadline(_words(m, source), "recurring", None, rule=rule)


def _build_every(m: re.Match[str], source: str, today: date | None) -> Deadline:
    every = m["every"].lower()
    rule = next(rule for stem, rule in _PERIOD_RULES.items() if stem in every)
    return Deadline(_words(m, source), "recurring", None, rule=rule)


def _build_relative(m: re.Match[str], source: str, today: date | None) -> Deadline:
    text = _words(m, source)
    if m["workdays"]:
        raise DeadlineError(_working_days())
    unit = m["unit"].lower()
    if m["num"] is None:
        if unit not in ("день", "сутки", "неделю"):
            raise DeadlineError(_unreadable(text))
        count = 1
    else:
        count = _count(m["num"])
    days = count * (7 if unit.startswith("недел") else 1)
    if not 1 <= days <= 366:
        raise DeadlineError(_("Срок «%(text)s»: укажите от 1 до 366 дней до события.", text=text))
    event = _nominative(_words(m, source, "event"))
    return Deadline(text, "relative", None, offset_days=days, event=event)


def _count(num: str) -> int:
    if num.isdigit():
        return int(num)
    words = _number_words()
    parts = [words[w] for w in num.lower().split()]
    if len(parts) == 2 and not (parts[0] in _TENS and parts[1] < 10):
        raise DeadlineError(
            _("Не удалось прочитать число «%(num)s»: напишите его цифрами.", num=num)
        )
    return sum(parts)


def _nominative(event: str) -> str:
    """«проведения процедуры» -> «проведение процедуры».

    Only a leading genitive noun is put into the nominative; anything else (an adjective first,
    an abbreviation) is kept as written, since agreeing adjectives would need a guess at gender.
    """
    head, *rest = event.split()
    for parse in _morph().parse(head.replace("ё", "е").replace("Ё", "Е")):
        if parse.tag.POS == "NOUN" and "gent" in parse.tag:
            inflected = parse.inflect({"nomn"})
            if inflected is not None:
                word = inflected.word
                head = word.capitalize() if head[0].isupper() else word
            break
    return " ".join([head, *rest])


Builder = Callable[[re.Match[str], str, date | None], Deadline]


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str], Builder], ...]:
    """(pattern name, compiled pattern, builder), compiled on first use (number words need
    pymorphy3). The name says how find_deadline trusts a match: «date» and «month» need a cue or
    a label (or, with a document date, a full date or «в …» period on or after it)."""
    table: list[tuple[str, str, Builder]] = [
        ("date", _DATE, _build_date),
        ("range", _DATE_RANGE, _build_date_range),
        ("within", _WITHIN, _build_within),
        ("month", _PERIOD, _build_period),
        ("month", _YEAR_RANGE, _build_year_range),
        ("month", _MONTH_END, _build_month_end),
        ("ongoing", _ONGOING, _build_ongoing),
        ("recurring", _MONTHLY_DAY, _build_monthly_day),
        ("recurring", _DAY_OF_EACH_MONTH, _build_monthly_day),
        ("recurring", _QUARTERLY_DAY, _build_quarterly_day),
        ("recurring", _YEARLY_DAY, _build_yearly_day),
        ("recurring", _DAILY, _build_daily),
        ("recurring", _WEEKDAY, _build_weekday),
        ("recurring", _EVERY, _build_every),
        ("relative", _relative(), _build_relative),
    ]
    return tuple(
        (kind, re.compile(rf"(?<!\w){_LABEL}(?:{body})", re.IGNORECASE | re.VERBOSE), build)
        for kind, body, build in table
    )


# What a pattern cannot match without: find_deadline skips a pattern whose words are absent
# from the item (most items hold no «ежемесячно», «по пятницам» or «в течение»).
_NEEDS: dict[str, re.Pattern[str]] = {
    "ongoing": re.compile(r"постоян|систематич|регулярн", re.IGNORECASE),
    "within": re.compile(r"течени|пределах|дневн|недельн|месячн", re.IGNORECASE),
    "relative": re.compile(r"дн|сут|недел", re.IGNORECASE),
    "recurring": re.compile(
        r"еже|кажд|раз\s|числа|по\s+(?:понед|вторн|сред|четв|пятн|субб|воскр)", re.IGNORECASE
    ),
}


_MONTH_END_WORD = re.compile(r"конц", re.IGNORECASE)  # «до конца марта» has no figures


def _skipped(kind: str, folded: str, figures: bool) -> bool:
    needs = _NEEDS.get(kind)
    if needs is not None:
        return needs.search(folded) is None
    return not figures and not _MONTH_END_WORD.search(folded)  # dates and periods have figures


def _fold(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")  # keeps offsets: find_deadline slices by them


# --- public API -------------------------------------------------------------------------------


def parse_deadline(text: str | None, *, today: date | None = None) -> Deadline:
    """Read a whole string typed as a deadline; raise DeadlineError if it is not one.

    ``today`` is the reference day (the document's date): it dates «до 1 марта» and starts
    «в течение 10 дней»."""
    written = (text or "").strip()
    body = re.sub(r"[\s.;,]+$", "", _fold(written))
    if not body or _NONE_WORDS.fullmatch(body):
        return Deadline("", "none", None)
    for _kind, pattern, build in _patterns():
        match = pattern.fullmatch(body)
        if match:
            return replace(build(match, written, today), text=written)
    for hint, message in _HINTS:
        if hint.search(body):
            raise DeadlineError(message())
    raise DeadlineError(_unreadable(written))


_QUOTED = re.compile(r"«[^«»\n]{4,}»|\"[^\"\n]{4,}\"")
# A full date right after these words starts something or names a paper, it is no deadline.
_NOT_A_DUE_DATE = re.compile(r"(?:(?<!\w)(?:с|со|от|начиная\s+с)|№|N)\s*[«\"]?\s*$", re.IGNORECASE)


def find_deadline(
    item_text: str, *, today: date | None = None, document_date: date | None = None
) -> Deadline | None:
    """Find the deadline words inside a decision item's text; None if there are none.

    When several are found: one after a «Срок» label wins, then one with a cue («до», «в
    течение») over one without, then a dated one over an ongoing one, then the earliest and
    longest. Dates and periods need a cue or a label, so that «приказ от 10.01.2022» is not
    taken for a deadline; given ``document_date``, a full date written bare («провести 12
    апреля 2024 года») or a period after «в» («в апреле 2024 года») on or after it counts too.
    Words that look like a deadline but cannot be read are skipped (see unread_deadline)."""
    if not isinstance(item_text, str):
        return None
    folded = _fold(item_text)
    quoted = [m.span() for m in _QUOTED.finditer(folded)]
    found: list[tuple[tuple[bool, bool, bool, int, int], tuple[int, int], Deadline]] = []
    figures = re.search(r"[0-9]", folded) is not None
    for kind, pattern, build in _patterns():
        if _skipped(kind, folded, figures):
            continue
        for match in pattern.finditer(folded):
            if any(start < match.start() < end for start, end in quoted):
                continue  # «Мы вместе ежедневно строим будущее!» is a title
            try:
                deadline = build(match, item_text, today)
            except DeadlineError:
                continue
            trust = _trust(kind, match, folded, deadline, document_date)
            if trust is None:
                continue
            rank = (
                not match["label"],
                trust == "weak",
                deadline.kind == "ongoing",
                match.start(),
                -len(deadline.text),
            )
            found.append((rank, match.span(), deadline))
    # «ежегодно в срок до 1 февраля»: the labelled date inside a recurring rule is part of it
    kept = [
        (rank, deadline)
        for rank, (start, end), deadline in found
        if not any(s <= start and end <= e and (s, e) != (start, end) for _, (s, e), _ in found)
    ]
    return min(kept, key=lambda pair: pair[0])[1] if kept else None


def _trust(
    kind: str, match: re.Match[str], folded: str, deadline: Deadline, document_date: date | None
) -> str | None:
    """«strong», «weak» (taken only for want of better) or None (not a deadline)."""
    if kind not in ("date", "month") or match["label"]:
        return "strong"
    cue = " ".join((match["cue"] or "").lower().split())
    if cue not in ("", "в", "во"):
        return "strong"
    due = deadline.due_date
    if document_date is None or due is None or due < document_date:
        return None
    if kind == "month":
        return "weak" if cue else None
    full = bool(match["y"] or match["wy"] or match["iy"])
    before = folded[max(0, match.start() - 12) : match.start()]
    return "weak" if full and not cue and not _NOT_A_DUE_DATE.search(before) else None


# Words that say «when» without a date this module can read: an item holding them gets a
# warning instead of a silent «no deadline». One entry per wording.
_UNREAD = re.compile(
    r"""
    незамедлительно|немедленно|срочно|в\s+кратчайши[ей]\s+срок\w*
  | по\s+мере\s+необходимости|до\s+особого\s+распоряжения|по\s+особому\s+распоряжению
  | в\s+установленн\w+\s+срок\w*|в\s+сроки?,\s+установленн\w+[^.;\n]{0,40}
  | (?:по|согласно|в\s+соответствии\s+с)\s+(?:отдельному\s+|утвержденному\s+)?график\w*
  | в\s+течение\s+[^.;,()\n]{1,50}
  | в\s+[^\s.;,()]*\s*(?:дневн|недельн|месячн)\w*\s+срок
  | (?:до|к)\s+(?:начал[аоу]|конц[аеу]|окончани[юяе]|завершени[юяе])\s+[^.;,()\n]{1,40}
  | по\s+(?:окончании|завершении)\s+[^.;,()\n]{1,40}
  | после\s+(?:проведения|окончания|завершения|получения|подписания)\s+[^.;,()\n]{1,40}
  | (?:в|во)\s+(?:i{1,3}|iv|[1-4]|перв\w+|втор\w+|трет\w+|четверт\w+)\s*-?\w*\s+
    (?:четверт\w+|полугоди\w+|квартал\w*)
  | (?:в|до|на)\s+[0-9]{4}\s*[/-]\s*[0-9]{2,4}\s+учебн\w+\s+год\w*
  | (?:в|до|на)\s+(?:текущ|нов|следующ)\w+\s+учебн\w+\s+год\w*
  | (?:не\s+позднее|до|к)\s+[0-9]{1,2}[./][0-9]{1,2}(?:[./][0-9]{2,4})?
  | (?:не\s+позднее|до|к)\s+[«"]?[0-9]{1,2}[»"]?\s+[а-я]+(?:\s+[0-9]{4})?
  | срок\w*(?:\s+(?:исполнения|выполнения))?\s*[:–—-]\s*[^.;\n]{1,60}
    """,
    re.IGNORECASE | re.VERBOSE,
)


def unread_deadline(item_text: str) -> tuple[str, str] | None:
    """(words, why) for words in an item that look like a deadline; None if there are none.

    For the reader of a document: call it when find_deadline found nothing, so that
    «незамедлительно», «по мере необходимости» or «в течение 5 рабочих дней после …» become a
    warning on the item instead of silence. ``why`` is the message parse_deadline gives."""
    if not isinstance(item_text, str):
        return None
    folded = _fold(item_text)
    quoted = [m.span() for m in _QUOTED.finditer(folded)]
    match = next(
        (
            m
            for m in _UNREAD.finditer(folded)
            if not any(start < m.start() < end for start, end in quoted)
        ),
        None,
    )
    if match is None:
        return None
    words = item_text[match.start() : match.end()].strip(" ,:–—-")
    try:
        parse_deadline(words)
    except DeadlineError as error:
        return words, str(error)
    return words, _unreadable(words)


def resolve_relative(deadline: Deadline, event_date: date) -> Deadline:
    """A copy of a relative deadline with its due date set from the event's date."""
    if deadline.kind != "relative" or deadline.offset_days is None:
        raise ValueError("only a relative deadline can be resolved against an event date")
    return replace(deadline, due_date=event_date - timedelta(days=deadline.offset_days))


def occurrences(deadline: Deadline, start: date, end: date) -> list[date]:
    """Due dates in [start, end] to report on; ongoing and unresolved deadlines have none."""
    if deadline.kind == "recurring" and deadline.rule:
        first = datetime.combine(start, time())
        rule = rrulestr(deadline.rule, dtstart=first)
        return [d.date() for d in rule.between(first, datetime.combine(end, time()), inc=True)]
    if deadline.due_date is not None and start <= deadline.due_date <= end:
        return [deadline.due_date]
    return []


def overdue_from(due_date: date, tz: str) -> datetime:
    """The aware UTC moment an item is overdue from: 00:00 local the next day (inclusive «до»)."""
    local_midnight = datetime.combine(due_date + timedelta(days=1), time(), tzinfo=ZoneInfo(tz))
    return local_midnight.astimezone(UTC)


def is_overdue(due_date: date | None, now: datetime, tz: str) -> bool:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if due_date is None:
        return False
    return now >= overdue_from(due_date, tz)
