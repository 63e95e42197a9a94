"""The words and patterns of deadlines as protocols write them: Russian month and weekday forms,
number words, and one regular expression per kind of deadline (read by core.deadline_parsing).
Pure logic: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from babel.dates import get_day_names, get_month_names

if TYPE_CHECKING:
    import pymorphy3


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


MONTHS = _months()
WEEKDAYS = _weekdays()
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
TENS = (20, 30)
PERIOD_RULES = {
    "недел": "FREQ=WEEKLY;BYDAY=SU",
    "меся": "FREQ=MONTHLY;BYMONTHDAY=-1",  # «месяц», «ежемесячно»
    "квартал": "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
    "полугод": "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
    "год": "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31",
}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
ORDINALS = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4}
STRONG_PERIOD_CUES = ("в течение", "до конца", "к концу", "не позднее конца")
NONE_WORDS = re.compile(r"[-–—]+|нет|без\s+срока|не\s+(?:установлен|указан)[оа]?", re.IGNORECASE)
# «в 2-недельный срок», «в трёхдневный срок»: the count before «-дневный» written as a word
COMPOUND_COUNTS = {
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
EARLIEST_YEAR = 1990  # archives hold papers from the 1990s on


@cache
def morph() -> pymorphy3.MorphAnalyzer:
    import pymorphy3  # loading the dictionaries takes a moment: only when first needed

    return pymorphy3.MorphAnalyzer()


@cache
def number_words() -> dict[str, int]:
    """Every case form of один…двадцать, тридцать (ё folded to е) -> its value."""
    words: dict[str, int] = {}
    for value, lemma in [*enumerate(_NUMBER_LEMMAS, start=1), (30, "тридцать")]:
        parse = next(p for p in morph().parse(lemma) if p.normal_form == lemma)
        for form in parse.lexeme:
            words[form.word.replace("ё", "е")] = value
    return words


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))  # longest first


# --- patterns ---------------------------------------------------------------------------------
# Each pattern reads one kind. All share an optional label («Срок:», «в срок», «в следующие
# сроки:») and most an optional cue («до», «в течение»); find_deadline() needs one of them for
# dates and periods so that «приказ от 10.01.2022» is not taken for a deadline.

LABEL = r"""
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

DATE = rf"""
    (?:(?P<cue>до|не\s+позднее(?:\s+чем)?|к)\s+)?
    (?: # 27.02.2023, 27/02/23, 27.02
        (?P<d>[0-9]{{1,2}})(?P<sep>[./])(?P<m>[0-9]{{1,2}})(?:(?P=sep)(?P<y>[0-9]{{4}}|[0-9]{{2}}))?
        (?![0-9])(?![./][0-9])
      | (?P<iy>[0-9]{{4}})-(?P<im>[0-9]{{2}})-(?P<id>[0-9]{{2}})(?![0-9])  # 2023-02-27
      | # «1» марта 2024, 1 марта
        [«"“„']?\s*(?P<wd>[0-9]{{1,2}})\s*[»"”']?\s+(?P<wm>{_alternation(MONTHS)})(?!\w)
        (?:\s+(?P<wy>[0-9]{{4}})(?![0-9]))?
    ){_YEAR_WORD}?
"""
PERIOD = rf"""
    (?:(?P<cue>в\s+течение|до\s+конца|к\s+концу|не\s+позднее\s+конца|в|во)\s+)?
    (?: (?:(?P<first>{_alternation(MONTHS)})(?:\s*[-–—,]\s*|\s+и\s+))?  # «январь – февраль»
        (?P<month>{_alternation(MONTHS)})(?!\w)  # январь, января, январе
      | (?P<q>iv|i{{1,3}}|[1-4])(?:\s*-?\s*(?:й|го|м|ом))?\s+квартал(?:а|е|у|ом)?(?!\w)
      | (?P<qw>перв|втор|трет|четверт)(?:ый|ий|ого|его|ом|ем|ому|ему)\s+квартал(?:а|е|у|ом)?(?!\w)
      | (?P<h>i{{1,2}}|[12])(?:\s*-?\s*(?:е|го|м|ом))?\s+полугоди[еяию](?:м)?(?!\w)
      | (?P<hw>перв|втор)(?:ое|ого|ом|ому)\s+полугоди[еяию](?:м)?(?!\w)
    )?  # none: the whole year
    \s*,?\s*(?<![0-9/–-])(?P<year>[0-9]{{4}})(?![0-9]|[/–-][0-9])(?P<yword>{_YEAR_WORD})?
"""
# «до конца марта»: a month's end without the year, which then comes from ``today``.
MONTH_END = rf"""
    (?P<cue>до\s+конца|к\s+концу|не\s+позднее\s+конца)\s+(?P<month>{_alternation(MONTHS)})(?!\w)
    (?!\s*,?\s*[0-9]{{4}})
"""
ONGOING = r"""
    (?:постоянно(?!\s+действующ)|на\s+постоянной\s+основе|в\s+постоянном\s+режиме
      |систематически|регулярно)(?!\w)
"""
MONTHLY_DAY = rf"""
    (?:ежемесячно|каждый\s+месяц)\s*,?\s*{_IN_TIME}\s+{_DAY}
    (?:\s+(?:каждого\s+|текущего\s+)?месяца)?(?:{_FOLLOWING})?
"""
DAY_OF_EACH_MONTH = rf"до\s+{_DAY}\s+(?:каждого\s+месяца|ежемесячно)(?:{_FOLLOWING})?"
QUARTERLY_DAY = rf"ежеквартально\s*,?\s*{_IN_TIME}\s+{_DAY}(?:\s+месяца)?{_FOLLOWING}"
YEARLY_DAY = rf"""
    (?:ежегодно|каждый\s+год)\s*,?\s*(?:в\s+срок\s+)?(?:до|к|не\s+позднее)\s+
    [«"]?(?P<day>[0-9]{{1,2}})[»"]?
    (?:\s+(?P<month>{_alternation(MONTHS)})(?!\w)|\.(?P<num>[0-9]{{1,2}})(?![0-9.]))
"""
DAILY = r"(?:ежедневно|каждый\s+день)(?!\w)"
DATE_RANGE = rf"""
    (?:(?:в\s+период|в\s+срок)\s+)?с\s+(?P<d1>[0-9]{{1,2}})
    (?:\s+(?:{_alternation(MONTHS)})(?:\s+[0-9]{{4}})?|[./][0-9]{{1,2}}(?:[./](?:[0-9]{{4}}|[0-9]{{2}}))?)?
    \s+(?:по|до)\s+
    (?: (?P<d>[0-9]{{1,2}})[./](?P<m>[0-9]{{1,2}})(?:[./](?P<y>[0-9]{{4}}|[0-9]{{2}}))?(?![0-9])
      | (?P<wd>[0-9]{{1,2}})\s+(?P<wm>{_alternation(MONTHS)})(?!\w)
        (?:\s+(?P<wy>[0-9]{{4}})(?![0-9]))?
    ){_YEAR_WORD}?
  | (?P<r1>[0-9]{{1,2}})\s*[-–—]\s*(?P<rd>[0-9]{{1,2}})\s+(?P<rm>{_alternation(MONTHS)})(?!\w)
    (?:\s+(?P<ry>[0-9]{{4}})(?![0-9]))?{_YEAR_WORD}?
"""
YEAR_RANGE = r"""
    (?:(?P<cue>в\s+течение|до\s+конца|в|во)\s+)?
    (?<![0-9])[0-9]{4}\s*[-–—]\s*(?P<year>[0-9]{4})(?![0-9])
    \s*(?:гг\.?|годы|годов|годах|года|г\.)
"""
WITHIN = r"""
    (?: (?:в\s+течение|в\s+пределах)\s+
        (?:(?P<num>[0-9]{1,3}(?:-?х)?|[^\W\d_]+?)\s+)??
        (?P<unit>дней|дня|день|суток|сутки|недели|неделю|недель|месяцев|месяца|месяц)(?!\w)
      | в\s+(?P<cnum>[0-9]{1,3}\s*-?\s*|[^\W\d_]+?)?(?P<cunit>дневный|недельный|месячный)\s+срок
    )
    (?P<since>\s*,?\s*(?:со\s+дня|с\s+момента|с\s+даты|после|с)\s+[^.;,()\n]{1,80})?
"""
# «со дня подписания настоящего приказа»: the document itself starts the count
SINCE_DOCUMENT = re.compile(
    r"(?:со\s+дня|с\s+момента|с\s+даты)\s+(?:его\s+)?(?:подписания|издания|принятия|утверждения"
    r"|опубликования|получения\s+настоящ|вступления\s+в\s+силу)(?:\s+настоящ\w+(?:\s+\w+)?)?\s*$"
    r"|настоящ",
    re.IGNORECASE,
)
WEEKDAY = rf"""
    (?:кажд(?:ый|ую|ое)|еженедельно\s+(?:в|во|по)|(?:еженедельно\s+)?по)
    \s+(?P<weekday>{_alternation(WEEKDAYS)})(?!\w)
"""
EVERY = r"""
    (?P<every>еженедельно|ежемесячно|ежеквартально|ежеполугодно|ежегодно
      |(?:один\s+|1\s+)?раз\s+в\s+(?:неделю|месяц|квартал|полугодие|год)
      |кажд(?:ую|ый|ое)\s+(?:неделю|месяц|квартал|полугодие|год))(?!\w)(?!\s*,?\s*до\s+[0-9])
"""


def relative() -> str:
    words = _alternation(number_words())
    return rf"""
        (?:не\s+(?:менее|позднее|позже)\s+(?:чем\s+)?)?(?:за\s+)?
        (?:(?P<num>[0-9]{{1,3}}|(?:{words})(?:\s+(?:{words}))?)(?:-?х)?\s+)?
        (?:(?P<workdays>рабоч\w*)\s+|календарн\w*\s+)?
        (?P<unit>дней|дня|день|суток|сутки|недели|неделю|недель)
        \s+до\s+{_EVENT}
    """
