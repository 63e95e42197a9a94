"""Deadlines as written in protocols: Russian words -> a Deadline (core.deadlines).

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
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from functools import cache

from tracker.core import deadline_words as lexicon
from tracker.core.deadlines import Deadline, DeadlineError

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


# --- builders: a match -> a Deadline, or DeadlineError ---------------------------------------
# ``source`` is the caller's text before «ё» folding; the match's offsets index into it.


def _words(m: re.Match[str], source: str, group: int | str = 0) -> str:
    return source[m.start(group) : m.end(group)].strip()


def _year(value: str) -> int:
    year = int(value) + (2000 if len(value) == 2 else 0)
    if not lexicon.EARLIEST_YEAR <= year <= 2099:
        raise DeadlineError(
            _(
                "Год %(year)s вне допустимого диапазона: укажите год %(first)s–2099.",
                year=value,
                first=lexicon.EARLIEST_YEAR,
            )
        )
    return year


def _build_date(m: re.Match[str], source: str, today: date | None) -> Deadline:
    text = _words(m, source)
    if m["iy"]:
        return _dated(text, m["id"], int(m["im"]), m["iy"], today)
    month = int(m["m"]) if m["m"] else lexicon.MONTHS[m["wm"].lower()]
    return _dated(text, m["d"] or m["wd"], month, m["y"] or m["wy"], today)


def _build_date_range(m: re.Match[str], source: str, today: date | None) -> Deadline:
    """«с 1 по 28 февраля 2005 года», «25–27 декабря 2019 года»: due on the last day."""
    if m["rd"]:
        return _dated(_words(m, source), m["rd"], lexicon.MONTHS[m["rm"].lower()], m["ry"], today)
    if m["wd"]:
        return _dated(_words(m, source), m["wd"], lexicon.MONTHS[m["wm"].lower()], m["wy"], today)
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
    if since and not lexicon.SINCE_DOCUMENT.search(since.strip()):
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
    elif words in lexicon.COMPOUND_COUNTS:
        count = lexicon.COMPOUND_COUNTS[words]
    elif words in lexicon.number_words():
        count = lexicon.number_words()[words]
    else:
        raise DeadlineError(_unreadable(text))
    if not 1 <= count <= 366:
        raise DeadlineError(_unreadable(text))
    return count


def _build_yearly_day(m: re.Match[str], source: str, today: date | None) -> Deadline:
    month = lexicon.MONTHS[m["month"].lower()] if m["month"] else int(m["num"])
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
        month = lexicon.MONTHS[m["month"].lower()]
    elif m["q"] or m["qw"]:
        month = 3 * _ordinal(m["q"], m["qw"])
    elif m["h"] or m["hw"]:
        month = 6 * _ordinal(m["h"], m["hw"])
    else:
        cue = " ".join((m["cue"] or "").lower().split())
        if not m["yword"] and cue not in lexicon.STRONG_PERIOD_CUES:
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
    month = lexicon.MONTHS[m["month"].lower()]
    last = calendar.monthrange(today.year, month)[1]
    return Deadline(text, "month", date(today.year, month, last))


def _ordinal(figure: str | None, word: str | None) -> int:
    """«II» / «2» / «втор(ое)» -> 2."""
    if figure:
        return lexicon.ROMAN.get(figure.lower()) or int(figure)
    return lexicon.ORDINALS[(word or "").lower()]


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
    rule = f"FREQ=WEEKLY;BYDAY={lexicon.WEEKDAYS[m['weekday'].lower()]}"
    return Deadline(_words(m, source), "recurring", None, rule=rule)


def _build_every(m: re.Match[str], source: str, today: date | None) -> Deadline:
    every = m["every"].lower()
    rule = next(rule for stem, rule in lexicon.PERIOD_RULES.items() if stem in every)
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
    words = lexicon.number_words()
    parts = [words[w] for w in num.lower().split()]
    if len(parts) == 2 and not (parts[0] in lexicon.TENS and parts[1] < 10):
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
    for parse in lexicon.morph().parse(head.replace("ё", "е").replace("Ё", "Е")):
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
        ("date", lexicon.DATE, _build_date),
        ("range", lexicon.DATE_RANGE, _build_date_range),
        ("within", lexicon.WITHIN, _build_within),
        ("month", lexicon.PERIOD, _build_period),
        ("month", lexicon.YEAR_RANGE, _build_year_range),
        ("month", lexicon.MONTH_END, _build_month_end),
        ("ongoing", lexicon.ONGOING, _build_ongoing),
        ("recurring", lexicon.MONTHLY_DAY, _build_monthly_day),
        ("recurring", lexicon.DAY_OF_EACH_MONTH, _build_monthly_day),
        ("recurring", lexicon.QUARTERLY_DAY, _build_quarterly_day),
        ("recurring", lexicon.YEARLY_DAY, _build_yearly_day),
        ("recurring", lexicon.DAILY, _build_daily),
        ("recurring", lexicon.WEEKDAY, _build_weekday),
        ("recurring", lexicon.EVERY, _build_every),
        ("relative", lexicon.relative(), _build_relative),
    ]
    return tuple(
        (kind, re.compile(rf"(?<!\w){lexicon.LABEL}(?:{body})", re.IGNORECASE | re.VERBOSE), build)
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
    if not body or lexicon.NONE_WORDS.fullmatch(body):
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
    found = list(_candidates(item_text, _fold(item_text), today, document_date))
    # «ежегодно в срок до 1 февраля»: the labelled date inside a recurring rule is part of it
    kept = [
        (rank, deadline)
        for rank, (start, end), deadline in found
        if not any(s <= start and end <= e and (s, e) != (start, end) for _, (s, e), _ in found)
    ]
    return min(kept, key=lambda pair: pair[0])[1] if kept else None


Rank = tuple[bool, bool, bool, int, int]


def _candidates(
    item_text: str, folded: str, today: date | None, document_date: date | None
) -> Iterator[tuple[Rank, tuple[int, int], Deadline]]:
    """Every deadline read in the item and trusted: (rank, lower wins; span; deadline)."""
    quoted = [m.span() for m in _QUOTED.finditer(folded)]
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
            yield rank, match.span(), deadline


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
    return _bare_date_trust(match, folded, cue)


def _bare_date_trust(match: re.Match[str], folded: str, cue: str) -> str | None:
    """A date with no cue and no label, on or after the document's date: «weak» if written in
    full and not after «с», «от» or «№» (which start something or name a paper)."""
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
