"""Unit tests for tracker.core.deadlines: deadlines as written in protocols."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import get_month_names
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.core.deadline_parsing import find_deadline, parse_deadline
from tracker.core.deadlines import (
    KINDS,
    Deadline,
    DeadlineError,
    is_overdue,
    occurrences,
    overdue_from,
    resolve_relative,
)

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
TODAY = date(2024, 5, 15)
# Hypothesis must not write its example database into the work tree.
FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def seed_lines() -> list[tuple[str, str]]:
    """(seed number, line) for every non-empty line of the five seed documents."""
    return [
        (path.name[:3], line)
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# --- the seed documents ------------------------------------------------------------------------

# (seed, how the line starts, kind, due date, the words found)
SEED_DEADLINES = [
    (
        "000",
        "1. Систематически проводить мониторинг реализации ВСОКО",
        "ongoing",
        None,
        "Систематически",
    ),
    (
        "000",
        "2. Систематически проводить мониторинг эффективности ВСОКО",
        "ongoing",
        None,
        "Систематически",
    ),
    (
        "001",
        "1.4. Оказывать адресную методическую поддержку",
        "ongoing",
        None,
        "на постоянной основе",
    ),
    (
        "001",
        "2. Разработать(скорректировать) антирисковую программу",
        "date",
        date(2023, 2, 27),
        "в срок до 27.02.2023",
    ),
    (
        "001",
        "3. Разработать распорядительный акт МОУ",
        "relative",
        None,
        "в следующие сроки: не менее трех дней до проведения процедуры",
    ),
    ("001", "4. Разработать «Дорожную карту»", "date", date(2023, 2, 21), "в срок до 21.02.2023"),
    (
        "001",
        "5. Направить в управление образования",
        "date",
        date(2023, 2, 27),
        "в срок до 27.02.2023",
    ),
    ("003", "Срок: январь 2024 года", "month", date(2024, 1, 31), "Срок: январь 2024 года"),
    ("003", "Срок: постоянно", "ongoing", None, "Срок: постоянно"),
]

# Lines the brief's grep («срок», «до », «постоянн», «систематически», «не менее») finds that
# hold no deadline, and why.
SEED_NON_DEADLINES = [
    ("002", "МБОУ ГО Заречный «СОШ № 2» - проанализировано"),  # «до сведения учителей»
    ("002", "В общеобразовательных организациях недостаточно"),  # «сроки исполнения» as a noun
    ("003", "9.\tОрлова М.В."),  # «МБОУ ДО» is «дополнительного образования»
    ("003", "10.\tТюрин О.И."),
    ("004", "\tС февраля 2018 года"),  # «МБУ ДО «ЦДО»», «от 12.03.2018»
    ("004", "· Аналитический отчет по результатам ВПР 2017-2019"),
    ("004", "· Использование инструментария ГАУ ДПО СОИРО"),
]
GREP = re.compile(r"срок|до |постоянн|систематически|не менее", re.IGNORECASE)


def expected_for(seed: str, line: str) -> tuple[str, date | None, str] | None:
    for number, start, kind, due, text in SEED_DEADLINES:
        if number == seed and line.startswith(start):
            return kind, due, text
    return None


@pytest.mark.parametrize(("seed", "start", "kind", "due", "text"), SEED_DEADLINES)
def test_seed_deadline_is_read(seed: str, start: str, kind: str, due: date | None, text: str):
    lines = [line for number, line in seed_lines() if number == seed and line.startswith(start)]
    assert lines
    for line in lines:
        found = find_deadline(line)
        assert found is not None
        assert (found.kind, found.due_date, found.text) == (kind, due, text)
        assert text in line


def test_seed_relative_deadline_details():
    line = next(line for seed, line in seed_lines() if line.startswith("3. Разработать распор"))
    found = find_deadline(line)
    assert found is not None
    assert (found.offset_days, found.event) == (3, "проведение процедуры")
    assert resolve_relative(found, date(2023, 3, 15)).due_date == date(2023, 3, 12)


def test_every_grep_hit_in_the_seeds_is_accounted_for():
    for seed, line in seed_lines():
        if not GREP.search(line):
            continue
        known = expected_for(seed, line) or any(
            number == seed and line.startswith(start) for number, start in SEED_NON_DEADLINES
        )
        assert known, f"seed {seed}: unreviewed line {line[:80]!r}"


def test_no_seed_line_yields_a_deadline_it_does_not_have():
    for seed, line in seed_lines():
        found = find_deadline(line)
        expected = expected_for(seed, line)
        got = None if found is None else (found.kind, found.due_date, found.text)
        assert got == expected, f"seed {seed}: {line[:80]!r}"


@pytest.mark.parametrize(("seed", "start", "kind", "due", "text"), SEED_DEADLINES)
def test_seed_deadline_words_parse_back_to_the_same(seed, start, kind, due, text):
    line = next(line for number, line in seed_lines() if number == seed and line.startswith(start))
    assert parse_deadline(text) == find_deadline(line)


def test_seed_003_decision_items_as_the_importer_splits_them():
    text = (SEEDS / "003_krasny_kholm_extract_12.txt").read_text(encoding="utf-8")
    block = text[text.index("1. Всем специалистам") : text.index("Председатель:")]
    items = [item for item in re.split(r"\n(?=\s*-)", block) if item.strip().startswith("-")]
    assert len(items) == 3
    found = [find_deadline(item) for item in items]
    assert [(d.kind, d.due_date, d.text) for d in found if d] == [
        ("month", date(2024, 1, 31), "Срок: январь 2024 года"),
        ("ongoing", None, "Срок: постоянно"),
        # the item also says «на 2022-2024 годы» and «от 10.01.2022 года №3-а»: not deadlines
        ("ongoing", None, "Срок: постоянно"),
    ]


def test_whole_seed_documents_do_not_raise():
    for path in sorted(SEEDS.glob("*.txt")):
        find_deadline(path.read_text(encoding="utf-8"))


# --- find_deadline -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "kind", "due", "text"),
    [
        (
            "Разработать(скорректировать) антирисковую программу МОУ, в срок до 27.02.2023.",
            "date",
            date(2023, 2, 27),
            "в срок до 27.02.2023",
        ),
        (
            "- провести детальный анализ результатов\nСрок: январь 2024 года",
            "month",
            date(2024, 1, 31),
            "Срок: январь 2024 года",
        ),
        (
            "Оказывать адресную методическую поддержку педагогам (на постоянной основе).",
            "ongoing",
            None,
            "на постоянной основе",
        ),
        ("Систематически проводить мониторинг реализации ВСОКО", "ongoing", None, "Систематически"),
        ("Представить отчет до 1 марта 2024 г.", "date", date(2024, 3, 1), "до 1 марта 2024 г."),
        (
            "Представить отчет не позднее 05.03.2024;",
            "date",
            date(2024, 3, 5),
            "не позднее 05.03.2024",
        ),
        ("Подготовить справку к 27.02.2023", "date", date(2023, 2, 27), "к 27.02.2023"),
        (
            "Провести аудит.\nСрок исполнения – до конца I квартала 2024 года.",
            "month",
            date(2024, 3, 31),
            "Срок исполнения – до конца I квартала 2024 года",
        ),
        ("Обновить сайт в течение 2024 года", "month", date(2024, 12, 31), "в течение 2024 года"),
        (
            "Направлять сведения ежеквартально до 5 числа месяца, следующего за отчётным периодом.",
            "recurring",
            None,
            "ежеквартально до 5 числа месяца, следующего за отчётным периодом",
        ),
        (
            "Направлять сведения до 20 числа каждого месяца",
            "recurring",
            None,
            "до 20 числа каждого месяца",
        ),
        (
            "Издать приказ не позднее чем за 5 дней до начала мониторинга, отв. завуч",
            "relative",
            None,
            "не позднее чем за 5 дней до начала мониторинга",
        ),
        (
            "Сдать отчёт\u00a0до\u00a027.02.2023\u00a0г.",
            "date",
            date(2023, 2, 27),
            "до\u00a027.02.2023\u00a0г.",
        ),
    ],
)
def test_find_deadline_in_item_text(item: str, kind: str, due: date | None, text: str):
    found = find_deadline(item)
    assert found is not None
    assert (found.kind, found.due_date, found.text) == (kind, due, text)
    assert text in item


@pytest.mark.parametrize(
    "item",
    [
        "утвержденного приказом Отдела образования от 10.01.2022 года №3-а",
        "План мероприятий («дорожной карты») на 2022-2024 годы",
        "«План мероприятий по повышению качества в МОУ на 2023 год»",
        "в октябре 2022 года было проведено исследование",
        "В 2022 году итоговый результат оценки МУМ составил 290 баллов",
        "Дата – 24 февраля 2023 год.",
        "Время проведения: 10.00 – 12.00",
        "директор МБУ ДО «Краснохолмская ДЮСШ»",
        "результаты ДР доведены до сведения учителей",
        "К группе 25% школ с наименьшими индексами школы не относятся.",
        "Создать постоянно действующую комиссию",
        "систематизирована работа по внутренней оценке качества",
        "закрепляющие ответственность и сроки исполнения запланированных мероприятий",
        "(МОЦ, январь 2020 г.)",
        "Принять к сведению информацию.",
        "",
        "   \n\t",
    ],
)
def test_find_deadline_ignores_what_is_not_a_deadline(item: str):
    assert find_deadline(item) is None


def test_find_skips_words_it_cannot_read():
    assert find_deadline("Сдать отчет до 31.02.2023") is None
    assert find_deadline("Сдать отчет за два рабочих дня до проведения процедуры") is None
    assert find_deadline("Сдать отчет до 27.02") is None
    assert find_deadline("Сдать отчет до 27.02", today=TODAY).due_date == date(2024, 2, 27)


def test_find_prefers_a_labelled_deadline_then_a_dated_one():
    item = "Систематически проводить мониторинг, отчет до 01.03.2024.\nСрок: постоянно"
    assert find_deadline(item).text == "Срок: постоянно"
    item = "Систематически проводить мониторинг, отчет представить до 01.03.2024."
    assert find_deadline(item).due_date == date(2024, 3, 1)


def test_find_keeps_yo_and_spacing_as_written():
    found = find_deadline("Разослать письма за трёх  дней до сдачи отчёта.")
    assert found.text == "за трёх  дней до сдачи отчёта"
    assert (found.offset_days, found.event) == (3, "сдача отчёта")


def test_find_tolerates_other_types():
    assert find_deadline(None) is None  # type: ignore[arg-type]


# --- parse_deadline: accepted forms ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("27.02.2023", date(2023, 2, 27)),
        ("27.02.23", date(2023, 2, 27)),
        ("27/02/2023", date(2023, 2, 27)),
        ("2023-02-27", date(2023, 2, 27)),
        ("до 27.02.2023", date(2023, 2, 27)),
        ("в срок до 27.02.2023 г.", date(2023, 2, 27)),
        ("В СРОК ДО 27.02.2023Г.", date(2023, 2, 27)),
        ("  до   27.02.2023  года. ", date(2023, 2, 27)),
        ("до\u00a027.02.2023\u00a0г.", date(2023, 2, 27)),
        ("не позднее 27.02.2023", date(2023, 2, 27)),
        ("к 27.02.2023", date(2023, 2, 27)),
        ("до 1 марта 2024 г.", date(2024, 3, 1)),
        ("1 марта 2024 года", date(2024, 3, 1)),
        ("до «1» марта 2024 г.", date(2024, 3, 1)),
        ("Срок: 27.02.2023", date(2023, 2, 27)),
        ("Срок исполнения – до 27.02.2023", date(2023, 2, 27)),
        ("29.02.2024", date(2024, 2, 29)),
        ("до 01.03.1997", date(1997, 3, 1)),
        ("с 30 марта по 20 апреля 2015 года", date(2015, 4, 20)),
        ("с 21 по 30 декабря 2021 года", date(2021, 12, 30)),
        ("25–27 декабря 2019 года", date(2019, 12, 27)),
        ("с 01.02 по 15.02.2024", date(2024, 2, 15)),
        ("срок готовности программы – 1 ноября 2014 г.", date(2014, 11, 1)),
        ("срок исполнения: 22 октября 2021 г.", date(2021, 10, 22)),
    ],
)
def test_parse_date(text: str, due: date):
    deadline = parse_deadline(text)
    assert deadline == Deadline(text.strip(), "date", due)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("в течение 10 дней", date(2024, 5, 25)),
        ("в течение 10 дней со дня подписания настоящего приказа", date(2024, 5, 25)),
        ("в течение двух недель", date(2024, 5, 29)),
        ("в течение 2-х недель", date(2024, 5, 29)),
        ("в 2-недельный срок", date(2024, 5, 29)),
        ("в двухнедельный срок", date(2024, 5, 29)),
        ("в трёхдневный срок", date(2024, 5, 18)),
        ("в 10-дневный срок", date(2024, 5, 25)),
        ("в течение недели", date(2024, 5, 22)),
        ("в течение суток", date(2024, 5, 16)),
        ("в течение месяца", date(2024, 6, 15)),
        ("в месячный срок", date(2024, 6, 15)),
        ("в течение трёх месяцев", date(2024, 8, 15)),
    ],
)
def test_parse_span_counts_from_the_reference_day(text: str, due: date):
    """«в течение 10 дней» counts from ``today``: the document's date when read from one."""
    assert parse_deadline(text, today=TODAY) == Deadline(text, "date", due)


def test_find_reads_bare_dates_and_in_periods_only_on_or_after_the_document_date():
    day = date(2024, 1, 11)
    assert find_deadline("Провести экзамен 12 апреля 2024 года", document_date=day).due_date == (
        date(2024, 4, 12)
    )
    assert find_deadline("Провести экзамен 12 апреля 2024 года") is None  # no document date
    assert find_deadline("Провести 10 января 2024 года", document_date=day) is None  # before it
    assert find_deadline("Организовать питание с 02.09.2024", document_date=day) is None
    assert find_deadline("приказом от 27.11.2024 № 678", document_date=day) is None
    assert find_deadline("Провести в апреле 2024 года", document_date=day).due_date == date(
        2024, 4, 30
    )
    assert find_deadline("Итоги 2023 года: в 2023 году", document_date=day) is None
    found = find_deadline("в 2024 году, в срок до 01.03.2024 назначить", document_date=day)
    assert found.due_date == date(2024, 3, 1)  # a cue wins over «в 2024 году»
    assert find_deadline("«Мы вместе ежедневно строим будущее!»") is None


def test_parse_date_without_year_uses_today_only_when_given():
    assert parse_deadline("до 27.02", today=TODAY).due_date == date(2024, 2, 27)
    assert parse_deadline("до 1 марта", today=TODAY).due_date == date(2024, 3, 1)
    with pytest.raises(DeadlineError, match="не указан год"):
        parse_deadline("до 27.02")


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("январь 2024 года", date(2024, 1, 31)),
        ("Срок: январь 2024 года", date(2024, 1, 31)),
        ("в январе 2024 г.", date(2024, 1, 31)),
        ("до конца января 2024", date(2024, 1, 31)),
        ("декабрь 2023", date(2023, 12, 31)),
        ("февраль 2024", date(2024, 2, 29)),
        ("в мае 2024 года", date(2024, 5, 31)),
        ("I квартал 2024", date(2024, 3, 31)),
        ("1 квартал 2024 года", date(2024, 3, 31)),
        ("в III квартале 2024 г.", date(2024, 9, 30)),
        ("до конца II квартала 2024 года", date(2024, 6, 30)),
        ("четвертый квартал 2024", date(2024, 12, 31)),
        ("до конца 2024 года", date(2024, 12, 31)),
        ("в течение 2024 года", date(2024, 12, 31)),
        ("2024 год", date(2024, 12, 31)),
        ("в 2024 году", date(2024, 12, 31)),
        ("первое полугодие 2024", date(2024, 6, 30)),
        ("в первом полугодии 2024 года", date(2024, 6, 30)),
        ("2 полугодие 2024", date(2024, 12, 31)),
        ("январь – февраль 2021 г.", date(2021, 2, 28)),
        ("в мае – июне 2022 года", date(2022, 6, 30)),
        ("июль – август 2015", date(2015, 8, 31)),
        ("февраль, апрель 2015 г.", date(2015, 4, 30)),
        ("2023–2024 гг.", date(2024, 12, 31)),
        ("в течение 1998 года", date(1998, 12, 31)),
    ],
)
def test_parse_month_or_period(text: str, due: date):
    assert parse_deadline(text) == Deadline(text, "month", due)


@pytest.mark.parametrize(
    "text",
    [
        "постоянно",
        "Срок: постоянно",
        "на постоянной основе",
        "Регулярно",
        "систематически",
        "Систематически",
        "регулярно",
        "в постоянном режиме",
        "ПОСТОЯННО.",
    ],
)
def test_parse_ongoing(text: str):
    assert parse_deadline(text) == Deadline(text, "ongoing", None)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("ежемесячно", "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("ежеквартально", "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"),
        ("раз в квартал", "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"),
        ("еженедельно", "FREQ=WEEKLY;BYDAY=SU"),
        ("ежегодно", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"),
        ("ежеполугодно", "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1"),
        ("до 20 числа каждого месяца", "FREQ=MONTHLY;BYMONTHDAY=20"),
        ("ежемесячно до 20 числа", "FREQ=MONTHLY;BYMONTHDAY=20"),
        ("ежемесячно, до 5-го числа месяца, следующего за отчетным", "FREQ=MONTHLY;BYMONTHDAY=5"),
        (
            "ежеквартально до 5 числа месяца, следующего за отчетным",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5",
        ),
        (
            "ежеквартально до 5 числа месяца, следующего за отчётным кварталом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=5",
        ),
        ("каждую пятницу", "FREQ=WEEKLY;BYDAY=FR"),
        ("каждый понедельник", "FREQ=WEEKLY;BYDAY=MO"),
        ("еженедельно в среду", "FREQ=WEEKLY;BYDAY=WE"),
        ("еженедельно по пятницам", "FREQ=WEEKLY;BYDAY=FR"),
        ("по понедельникам", "FREQ=WEEKLY;BYDAY=MO"),
        ("ежедневно", "FREQ=DAILY"),
        ("ежегодно до 1 июля", "FREQ=YEARLY;BYMONTH=7;BYMONTHDAY=1"),
        ("ежегодно в срок до 15.01", "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=15"),
        ("ежемесячно в срок до 5 числа", "FREQ=MONTHLY;BYMONTHDAY=5"),
        (
            "ежеквартально в срок до 3 числа месяца, следующего за отчётным кварталом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=3",
        ),
        (
            "ежеквартально в срок до 3 числа следующего за отчетным кварталом",
            "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=3",
        ),
    ],
)
def test_parse_recurring(text: str, rule: str):
    deadline = parse_deadline(text)
    assert deadline == Deadline(text, "recurring", None, rule=rule)
    rrulestr(rule, dtstart=datetime(2024, 1, 1))  # a valid RFC 5545 rule for dateutil


@pytest.mark.parametrize(
    ("text", "offset", "event"),
    [
        ("не менее трех дней до проведения процедуры", 3, "проведение процедуры"),
        ("не менее трёх дней до проведения процедуры", 3, "проведение процедуры"),
        ("не менее чем за 3 дня до проведения процедуры", 3, "проведение процедуры"),
        ("за 3 дня до начала мониторинга", 3, "начало мониторинга"),
        ("за 3-х дней до начала мониторинга", 3, "начало мониторинга"),
        (
            "в следующие сроки: не менее трех дней до проведения процедуры",
            3,
            "проведение процедуры",
        ),
        ("за пять дней до заседания", 5, "заседание"),
        ("за двух дней до совещания", 2, "совещание"),
        ("за десять календарных дней до начала учебного года", 10, "начало учебного года"),
        ("за двадцать один день до итогового собеседования", 21, "итогового собеседования"),
        ("за тридцать дней до проведения ВПР", 30, "проведение ВПР"),
        ("за день до совещания", 1, "совещание"),
        ("за неделю до заседания", 7, "заседание"),
        ("за две недели до заседания", 14, "заседание"),
    ],
)
def test_parse_relative(text: str, offset: int, event: str):
    # The leading genitive noun is put into the nominative; the rest of the event is kept
    # as written (so «итогового собеседования», led by an adjective, stays as it is).
    deadline = parse_deadline(text)
    assert deadline == Deadline(text, "relative", None, offset_days=offset, event=event)


@pytest.mark.parametrize(
    "text",
    ["", None, "   ", "—", "-", "–", "нет", "Нет.", "не установлен", "не установлено", "без срока"],
)
def test_parse_none(text: str | None):
    assert parse_deadline(text) == Deadline("", "none", None)


# --- parse_deadline: rejected on purpose -------------------------------------------------------

GENERIC = (
    "Напишите, например: «до 27.02.2023», «январь 2024 года», «постоянно», "
    "«ежеквартально», «за 3 дня до проведения процедуры»."
)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("до 31.02.2023", "Даты 31.02.2023 не существует"),
        ("31.02.2023", "Даты 31.02.2023 не существует"),
        ("29.02.2023", "Даты 29.02.2023 не существует"),
        ("до 32 января 2024", "Даты 32.01.2024 не существует"),
        ("27.13.2023", "Даты 27.13.2023 не существует"),
        ("27.02.1989", "вне допустимого диапазона"),
        ("до 27.02", "не указан год"),
        ("завтра", GENERIC),
        ("asap", GENERIC),
        ("ASAP!!!", GENERIC),
        ("Lorem ipsum dolor sit amet", GENERIC),
        ("как можно скорее", GENERIC),
        ("2024", GENERIC),
        ("до января 2024", GENERIC),  # «before January» or «by its end»? never guess
        ("на 2022-2024 годы", GENERIC),
        ("в течение года", "укажите год"),
        ("до конца года", "укажите год"),
        ("в течение месяца", "не привязан к дате"),  # no document date to count from
        ("в течение 5 дней после её подписания", "отсчитывается от события"),
        ("в течение месяца после получения справки", "отсчитывается от события"),
        ("в течение 5 рабочих дней", "в рабочих днях"),
        ("ежегодно до 29 февраля", GENERIC),
        ("в течение учебного года", "Учебный год не задаёт дату"),
        ("в течение 2023/2024 учебного года", "Учебный год не задаёт дату"),
        ("в течение 10 дней", "не привязан к дате"),
        ("за два рабочих дня до проведения процедуры", "в рабочих днях"),
        ("ежеквартально до 5 числа", "следующего за отчетным"),
        ("до 20 числа", "каждого месяца"),
        ("до 31 числа каждого месяца", "от 1 до 28"),
        ("за 0 дней до проведения процедуры", "от 1 до 366"),
        ("за три пять дней до проведения процедуры", "напишите его цифрами"),
    ],
)
def test_parse_rejects(text: str, says: str):
    with pytest.raises(DeadlineError) as caught:
        parse_deadline(text)
    message = str(caught.value)
    assert says in message
    assert re.search("[а-яё]", message)
    assert isinstance(caught.value, ValueError)


def test_generic_message_quotes_the_text():
    with pytest.raises(DeadlineError) as caught:
        parse_deadline("завтра")
    assert str(caught.value) == "Не удалось распознать срок «завтра». " + GENERIC


# --- Deadline, resolve_relative, occurrences ---------------------------------------------------


def test_to_dict_is_json_friendly():
    assert parse_deadline("в срок до 27.02.2023").to_dict() == {
        "kind": "date",
        "date": "2023-02-27",
        "text": "в срок до 27.02.2023",
        "rule": None,
        "offset_days": None,
        "event": None,
    }
    relative = parse_deadline("за 3 дня до проведения процедуры")
    assert json.loads(json.dumps(relative.to_dict()))["offset_days"] == 3
    assert parse_deadline("").to_dict()["kind"] == "none"


def test_deadline_checks_its_kind():
    assert set(KINDS) == {"date", "month", "ongoing", "recurring", "relative", "none"}
    with pytest.raises(ValueError, match="kind"):
        Deadline("x", "soon", None)


def test_resolve_relative():
    deadline = parse_deadline("не менее трех дней до проведения процедуры")
    resolved = resolve_relative(deadline, date(2023, 3, 1))
    assert resolved.due_date == date(2023, 2, 26)
    assert resolved.text == deadline.text and deadline.due_date is None
    with pytest.raises(ValueError):
        resolve_relative(parse_deadline("до 27.02.2023"), date(2023, 3, 1))


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        (
            "ежеквартально",
            date(2024, 1, 1),
            date(2024, 12, 31),
            [date(2024, 3, 31), date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31)],
        ),
        (
            "ежемесячно",
            date(2024, 1, 15),
            date(2024, 3, 31),
            [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)],
        ),
        (
            "до 20 числа каждого месяца",
            date(2024, 1, 21),
            date(2024, 3, 20),
            [date(2024, 2, 20), date(2024, 3, 20)],
        ),
        (
            "ежеквартально до 5 числа месяца, следующего за отчетным",
            date(2024, 1, 1),
            date(2024, 12, 31),
            [date(2024, 1, 5), date(2024, 4, 5), date(2024, 7, 5), date(2024, 10, 5)],
        ),
        (
            "каждую пятницу",
            date(2024, 1, 1),
            date(2024, 1, 14),
            [date(2024, 1, 5), date(2024, 1, 12)],
        ),
        ("еженедельно", date(2024, 1, 1), date(2024, 1, 14), [date(2024, 1, 7), date(2024, 1, 14)]),
        (
            "ежегодно",
            date(2024, 6, 1),
            date(2025, 12, 31),
            [date(2024, 12, 31), date(2025, 12, 31)],
        ),
        ("постоянно", date(2024, 1, 1), date(2024, 12, 31), []),
        ("до 27.02.2023", date(2023, 1, 1), date(2023, 2, 27), [date(2023, 2, 27)]),
        ("до 27.02.2023", date(2023, 2, 28), date(2023, 12, 31), []),
        ("январь 2024 года", date(2024, 1, 1), date(2024, 12, 31), [date(2024, 1, 31)]),
        ("за 3 дня до проведения процедуры", date(2024, 1, 1), date(2024, 12, 31), []),
        ("", date(2024, 1, 1), date(2024, 12, 31), []),
    ],
)
def test_occurrences(text: str, start: date, end: date, expected: list[date]):
    assert occurrences(parse_deadline(text), start, end) == expected


def test_occurrences_of_a_resolved_relative_deadline():
    resolved = resolve_relative(parse_deadline("за 3 дня до начала мониторинга"), date(2024, 3, 4))
    assert occurrences(resolved, date(2024, 3, 1), date(2024, 3, 31)) == [date(2024, 3, 1)]


# --- overdue ----------------------------------------------------------------------------------

DUE = date(2023, 2, 27)


@pytest.mark.parametrize(
    ("tz", "utc_moment"),
    [
        ("Europe/Kaliningrad", datetime(2023, 2, 27, 22, 0, tzinfo=UTC)),
        ("Europe/Moscow", datetime(2023, 2, 27, 21, 0, tzinfo=UTC)),
        ("Asia/Vladivostok", datetime(2023, 2, 27, 14, 0, tzinfo=UTC)),
        ("Asia/Kamchatka", datetime(2023, 2, 27, 12, 0, tzinfo=UTC)),
    ],
)
def test_overdue_from_local_midnight_after_the_due_day(tz: str, utc_moment: datetime):
    moment = overdue_from(DUE, tz)
    assert moment == utc_moment
    assert moment.utcoffset() == timedelta(0)

    zone = ZoneInfo(tz)
    last_minute = datetime(2023, 2, 27, 23, 59, tzinfo=zone)
    midnight = datetime(2023, 2, 28, 0, 0, tzinfo=zone)
    assert not is_overdue(DUE, last_minute, tz)
    assert not is_overdue(DUE, last_minute.astimezone(UTC), tz)
    assert is_overdue(DUE, midnight, tz)
    assert is_overdue(DUE, midnight.astimezone(UTC), tz)
    assert not is_overdue(DUE, midnight - timedelta(microseconds=1), tz)


def test_is_overdue_without_a_due_date_and_with_a_naive_now():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert is_overdue(None, now, "Europe/Moscow") is False
    with pytest.raises(ValueError, match="aware"):
        is_overdue(DUE, datetime(2030, 1, 1), "Europe/Moscow")  # naive on purpose


# --- properties -------------------------------------------------------------------------------

DEADLINE_WORDS = [
    "до",
    "в срок",
    "Срок:",
    "срок",
    "к",
    "не позднее",
    "в течение",
    "до конца",
    "за",
    "не менее",
    "27.02.2023",
    "31.02.2023",
    "27.02",
    "99.99.99",
    "2024-02-30",
    "1",
    "«1»",
    "марта",
    "января",
    "январе",
    "2024",
    "года",
    "г.",
    "I",
    "IV",
    "квартал",
    "полугодие",
    "трех",
    "двадцать",
    "дней",
    "рабочих",
    "сутки",
    "неделю",
    "до проведения",
    "процедуры",
    "ежеквартально",
    "числа",
    "каждого",
    "месяца",
    "постоянно",
    "систематически",
    "каждую",
    "пятницу",
    "ё",
    "—",
    ",",
    ".",
    ":",
    "\n",
    "\u00a0",
    "(",
    ")",
]
deadline_like = st.lists(
    st.one_of(st.sampled_from(DEADLINE_WORDS), st.text(max_size=4)), max_size=14
).map(" ".join)
any_text = st.one_of(st.text(), deadline_like)


@FUZZ
@given(any_text, st.one_of(st.none(), st.dates()))
def test_find_deadline_never_raises(text: str, today: date | None):
    found = find_deadline(text, today=today)
    if found is not None:
        assert found.kind in KINDS and found.kind != "none"
        assert found.text and found.text in text


@FUZZ
@given(any_text, st.one_of(st.none(), st.dates()))
def test_parse_deadline_raises_only_deadline_error(text: str, today: date | None):
    try:
        deadline = parse_deadline(text, today=today)
    except DeadlineError as error:
        assert re.search("[а-яё]", str(error))
    else:
        assert deadline.kind in KINDS


MONTHS_GENITIVE = get_month_names("wide", context="format", locale="ru")


@FUZZ
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_any_real_date_round_trips(day: date):
    numeric = f"в срок до {day:%d.%m.%Y}"
    words = f"до «{day.day}» {MONTHS_GENITIVE[day.month]} {day.year} г."
    assert parse_deadline(numeric).due_date == day
    assert parse_deadline(words).due_date == day
    assert find_deadline(f"Сделать что-то, {numeric}.").due_date == day
    assert find_deadline(f"Сделать что-то {words}").text == words
