"""The issue's acceptance test: one whole management cycle for one direction, clicked through as
people would. A goal and two indicators, a monitoring campaign to three schools (one submits late
after a reminder, one uploads XLSX with a wrong value and is told why), an analysis with a
recommendation, a decision made from it and its assignment done, and an effectiveness review
whose before/after figures come from the entered data; the board then shows every stage."""

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tracker.core import clock
from tracker.cycle.models import Measurement
from tracker.demo.loader import (
    DEMO_PASSWORD,
    LoadReport,
    load_directions,
    load_organizations,
    load_users,
)
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.notify.reminders import sweep

pytestmark = pytest.mark.browser
MSK = ZoneInfo("Europe/Moscow")
STAFF = "chervova@petrozavodsk.demo.test"
DIRECTION = "Внутришкольная система профилактики учебной неуспешности обучающихся"
SCHOOLS = {n: f"МОУ «Средняя школа № {n}»" for n in (3, 6, 7)}
SHARE = ("УН-1", "Доля обучающихся с неудовлетворительными результатами")
SCORE = ("УН-2", "Средний балл по итогам четверти")
CAMPAIGN = "Учебная неуспешность"
RECOMMENDATION = "Разработать индивидуальные планы работы с обучающимися группы риска"
# Values by school as people type them: 2022 entered by staff, 2023 by the schools.
BEFORE = {3: ("14", "3,5"), 6: ("8", "3,8"), 7: ("11", "3,5")}
AFTER = {3: ("6", "4"), 6: ("4", "4,2"), 7: ("5", "3,8")}
STAGES = ("goals", "indicators", "monitoring", "analysis", "decisions", "effectiveness")


def director(n: int) -> str:
    return f"director.sch{n}@petrozavodsk.demo.test"


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    moment = datetime(2023, month, day, hour, minute, tzinfo=MSK)
    clock.freeze(moment)
    return moment


def mean(values: dict[int, tuple[str, str]], column: int) -> Decimal:
    """The mean over the schools, rounded as the app shows it (one decimal)."""
    numbers = [Decimal(v[column].replace(",", ".")) for v in values.values()]
    return (sum(numbers) / len(numbers)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def shown(value: Decimal) -> str:
    """11.0 → «11», 3.6 → «3,6», as `plain` writes it."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


@pytest.fixture
def petrozavodsk(ctx):
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    load_directions(db.session, report)
    db.session.commit()
    return orgs


def session_as(browser_instance, live_server, email: str):
    page = browser_instance.new_context(base_url=live_server, locale="ru-RU").new_page()
    page.set_default_timeout(15000)
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    return page


def board_row(page):
    page.get_by_role("link", name="Цикл", exact=True).click()
    board = page.get_by_test_id("cycle-board")
    expect(board).to_be_visible()
    return board.locator("tr[data-direction]", has_text=DIRECTION)


def add_indicator(page, code: str, name: str, unit: str, **numbers: str) -> None:
    page.get_by_test_id("stage-actions").get_by_role("link", name="Показатель").click()
    form = page.get_by_test_id("cycle-form")
    expect(form.get_by_label("Направление")).to_have_value(re.compile(r"^\d+$"))
    expect(form.get_by_label("Направление").locator("option:checked")).to_contain_text(DIRECTION)
    form.get_by_label("Код", exact=True).fill(code)
    form.get_by_label("Название", exact=True).fill(name)
    form.get_by_label("Единица", exact=True).select_option(value=unit)
    labels = {
        "better": "Лучше, когда значение",
        "max": "Максимальный балл",
        "target": "Целевое значение",
        "threshold": "Порог риска (хуже него — школа в зоне риска)",
    }
    for key, value in numbers.items():
        if key == "better":
            form.get_by_label(labels[key]).select_option(label=value)
        else:
            form.get_by_label(labels[key]).fill(value)
    form.get_by_label("Источник").fill("отчёты школ по итогам учебного года")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Показатель добавлен.")
    expect(page.get_by_test_id("summary").locator(f"tr[data-indicator='{code}']")).to_be_visible()


def enter_campaign_values(page, values: tuple[str, str]) -> None:
    """From «Мои поручения» to the values form of the monitoring assignment, and save."""
    page.get_by_role("link", name="Мои поручения").click()
    page.get_by_test_id("my-assignment").filter(has_text=CAMPAIGN).get_by_role("link").click()
    page.get_by_role("link", name="Ввести значения показателей").click()
    form = page.get_by_test_id("values-form")
    form.get_by_label(SHARE[0], exact=True).fill(values[0])
    form.get_by_label(SCORE[0], exact=True).fill(values[1])
    page.get_by_role("button", name="Сохранить значения").click()
    expect(page.get_by_role("alert")).to_contain_text("Значения сохранены.")
    expect(form.get_by_label(SHARE[0], exact=True)).to_have_value(values[0])


def measurements(org_id: int, period: str) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Measurement)
        .where(Measurement.organization_id == org_id, Measurement.period == period)
    )


def test_one_direction_through_the_whole_cycle(
    petrozavodsk, browser_instance, live_server, tmp_path
):
    orgs = petrozavodsk
    # --- Staff, 16.01.2023: the board is empty for the direction; indicators and a goal.
    at(1, 16)
    staff = session_as(browser_instance, live_server, STAFF)
    row = board_row(staff)
    for stage in STAGES:
        expect(row.locator(f"td[data-stage='{stage}']")).to_have_text("—")
    row.get_by_role("link", name=DIRECTION).click()
    expect(staff.get_by_role("heading", name=DIRECTION)).to_be_visible()
    expect(staff.get_by_test_id("goals")).to_contain_text("Цели не поставлены.")
    add_indicator(staff, *SHARE, "percent", better="ниже", target="5", threshold="10")
    add_indicator(staff, *SCORE, "score", max="5", target="4")

    staff.get_by_test_id("stage-actions").get_by_role("link", name="Цель").click()
    form = staff.get_by_test_id("cycle-form")
    form.get_by_label("Цель", exact=True).fill(
        "Снизить долю обучающихся с неудовлетворительными результатами до 5 %"
    )
    form.get_by_label("Период с").fill("2023-01-01")
    form.get_by_label("по", exact=True).fill("2023-12-31")
    form.get_by_label("Показатели, которыми измеряется").select_option(
        label=[" ".join(SHARE), " ".join(SCORE)]
    )
    staff.get_by_role("button", name="Сохранить", exact=True).click()
    expect(staff.get_by_role("alert")).to_contain_text("Цель записана.")
    expect(staff.get_by_test_id("goals")).to_contain_text("показатели: УН-1, УН-2")

    # The 2022 values («before») entered by staff for each school.
    staff.get_by_role("link", name="Цикл", exact=True).click()
    staff.get_by_role("link", name="Ввести значения").click()
    choose = staff.get_by_test_id("choose")
    choose.get_by_label("Направление").select_option(label=f"ВСОКО: {DIRECTION}")
    choose.get_by_label("Период").fill("2022")
    for n, (share, score) in BEFORE.items():
        choose.get_by_label("Организация").select_option(label=SCHOOLS[n])
        staff.get_by_role("button", name="Открыть").click()
        values = staff.get_by_test_id("values-form")
        # The school's own page is open (no flash of the previous save, nothing entered yet).
        expect(staff.get_by_role("alert")).to_have_count(0)
        expect(values.locator("tbody tr")).to_have_count(2)
        expect(values.get_by_label(SHARE[0], exact=True)).to_have_value("")
        values.get_by_label(SHARE[0], exact=True).fill(share)
        values.get_by_label(SCORE[0], exact=True).fill(score)
        staff.get_by_role("button", name="Сохранить значения").click()
        expect(staff.get_by_role("alert")).to_contain_text("Значения сохранены.")
        expect(choose.get_by_label("Организация").locator("option:checked")).to_have_text(
            SCHOOLS[n]
        )
        expect(values.get_by_label(SHARE[0], exact=True)).to_have_value(share)
    for n in BEFORE:
        assert measurements(orgs[f"ptz-sch{n}"].id, "2022") == 2

    # The monitoring of 2023 to schools № 3, 6 and 7.
    row = board_row(staff)
    row.get_by_role("link", name=DIRECTION).click()
    staff.get_by_test_id("stage-actions").get_by_role("link", name="Мониторинг").click()
    form = staff.get_by_test_id("cycle-form")
    form.get_by_label("Название", exact=True).fill(CAMPAIGN)
    form.get_by_label(re.compile(r"^Период")).fill("2023")
    form.get_by_label(re.compile(r"^Срок представления")).fill("в срок до 15.02.2023")
    form.get_by_label("Показатели", exact=True).select_option(
        label=[" ".join(SHARE), " ".join(SCORE)]
    )
    form.get_by_label("Организации", exact=True).select_option(label=list(SCHOOLS.values()))
    staff.get_by_role("button", name="Сохранить", exact=True).click()
    expect(staff.get_by_role("alert")).to_contain_text("Мониторинг открыт")
    expect(staff.get_by_test_id("waiting")).to_have_text("Не представили значения: 3 из 3.")
    campaign_url = staff.url
    campaign_rows = staff.get_by_test_id("campaign-rows").locator("tbody tr")
    expect(campaign_rows).to_have_count(3)

    # --- School № 3, 10.02.2023: by the form, on time.
    at(2, 10)
    sch3 = session_as(browser_instance, live_server, director(3))
    enter_campaign_values(sch3, AFTER[3])
    sch3.get_by_role("link", name=re.compile("^← ")).click()
    expect(sch3.get_by_test_id("campaign-rows").locator("tbody tr")).to_have_count(1)
    # All values in and valid: the assignment closed itself, no one had to accept it.
    sch3.get_by_role("link", name="Мои поручения").click()
    sch3.get_by_test_id("tabs").get_by_role("link", name="Исполненные").click()
    mine = sch3.get_by_test_id("my-assignment").filter(has_text=CAMPAIGN)
    expect(mine).to_contain_text("исполнено")

    # --- School № 6, 13.02.2023: the XLSX template, a wrong value, a clear message, a fix.
    at(2, 13)
    sch6 = session_as(browser_instance, live_server, director(6))
    sch6.get_by_role("link", name="Мои поручения").click()
    sch6.get_by_test_id("my-assignment").filter(has_text=CAMPAIGN).get_by_role("link").click()
    sch6.get_by_role("link", name="Ввести значения показателей").click()
    with sch6.expect_download() as download_info:
        sch6.get_by_role("link", name="скачать шаблон").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    book = openpyxl.load_workbook(template)
    sheet = book.active
    assert [c.value for c in sheet[3]] == ["Код", "Показатель", "Единица", "Значение"]
    by_code = {sheet.cell(r, 1).value: r for r in range(4, sheet.max_row + 1)}
    assert set(by_code) == {SHARE[0], SCORE[0]}
    sheet.cell(by_code[SHARE[0]], 4).value = 150  # a percent over 100
    sheet.cell(by_code[SCORE[0]], 4).value = AFTER[6][1]
    upload = tmp_path / "Значения школа 6.xlsx"
    book.save(upload)
    sch6.get_by_label("Файл .xlsx (шаблон со страницы)").set_input_files(upload)
    sch6.get_by_role("button", name="Загрузить файл").click()
    expect(sch6.get_by_test_id("value-error")).to_have_text("Доля больше 100 %: 150.")
    expect(sch6.get_by_role("alert")).to_contain_text("УН-1: Доля больше 100 %: 150.")
    assert measurements(orgs["ptz-sch6"].id, "2023") == 0
    sheet.cell(by_code[SHARE[0]], 4).value = int(AFTER[6][0])
    book.save(upload)
    sch6.get_by_label("Файл .xlsx (шаблон со страницы)").set_input_files(upload)
    sch6.get_by_role("button", name="Загрузить файл").click()
    expect(sch6.get_by_role("alert")).to_contain_text("Значения сохранены.")
    expect(sch6.get_by_test_id("value-error")).to_have_count(0)
    form = sch6.get_by_test_id("values-form")
    expect(form.get_by_label(SHARE[0], exact=True)).to_have_value(AFTER[6][0])
    expect(form.get_by_label(SCORE[0], exact=True)).to_have_value(AFTER[6][1])
    assert measurements(orgs["ptz-sch6"].id, "2023") == 2

    # --- 16.02.2023 09:30: the reminder sweep writes an overdue reminder to school № 7 only.
    moment = at(2, 16, 9, 30)
    sweep(db.session, moment)
    db.session.commit()
    reminders = db.session.execute(
        sa.select(OutboxMessage.recipient_email, OutboxMessage.kind).where(
            OutboxMessage.kind.startswith("reminder")
        )
    ).all()
    assert reminders == [(director(7), "reminder.overdue")]
    staff.goto(campaign_url)
    expect(staff.get_by_test_id("waiting")).to_have_text("Не представили значения: 1 из 3.")
    late_row = campaign_rows.filter(has_text=SCHOOLS[7])
    expect(late_row).to_contain_text("просрочено")
    expect(campaign_rows.filter(has_text=SCHOOLS[3])).not_to_contain_text("просрочено")

    # --- School № 7, 17.02.2023: sees the reminder, submits late.
    at(2, 17)
    sch7 = session_as(browser_instance, live_server, director(7))
    sch7.get_by_role("link", name="Мои поручения").click()
    overdue = sch7.get_by_test_id("my-assignment").filter(has_text=CAMPAIGN)
    expect(overdue).to_contain_text("просрочено")
    overdue.get_by_role("link").click()
    expect(sch7.get_by_test_id("reminders")).to_contain_text("Волков Дмитрий Александрович")
    enter_campaign_values(sch7, AFTER[7])
    staff.reload()
    expect(staff.get_by_test_id("waiting")).to_have_text("Не представили значения: 0 из 3.")
    expect(late_row).to_contain_text("с опозданием")
    expect(late_row).to_have_class(re.compile(r"table-success"))
    for n in (3, 6):
        expect(campaign_rows.filter(has_text=SCHOOLS[n])).not_to_contain_text("опоздани")

    # --- Staff, 20.02.2023: the summary from the data, the analysis and its recommendation.
    at(2, 20)
    staff.get_by_role("link", name=DIRECTION).click()
    summary = staff.get_by_test_id("summary")
    expect(summary.locator("thead th")).to_contain_text(["2022", "2023"])
    for (code, _name), column in ((SHARE, 0), (SCORE, 1)):
        cells = summary.locator(f"tr[data-indicator='{code}'] td")
        before, after = mean(BEFORE, column), mean(AFTER, column)
        expect(cells.nth(2)).to_have_text(re.compile(rf"^\s*{shown(before)}\s+n=3\s*$"))
        expect(cells.nth(3)).to_have_text(re.compile(rf"^\s*{shown(after)}\s+n=3\s*$"))
    expect(summary.locator("tr[data-indicator='УН-1'] td").nth(4)).to_have_text("−6")
    expect(summary.locator("tr[data-indicator='УН-1']")).to_contain_text("достигнута")

    staff.get_by_test_id("stage-actions").get_by_role("link", name="Анализ", exact=True).click()
    form = staff.get_by_test_id("analysis-form")
    form.get_by_label("Показатель", exact=True).select_option(label=" ".join(SHARE))
    form.get_by_label("Период", exact=True).fill("2023")
    form.get_by_label("Название", exact=True).fill("Анализ учебной неуспешности за 2023 год")
    form.get_by_label("Выводы").fill(
        "Доля неуспевающих снизилась с 11 до 5 %; в школе № 3 она выше средней."
    )
    form.get_by_label("Кому, рекомендация 1").select_option(label=SCHOOLS[3])
    form.get_by_label("Рекомендация 1", exact=True).fill(RECOMMENDATION)
    staff.get_by_role("button", name="Сохранить", exact=True).click()
    expect(staff.get_by_role("alert")).to_contain_text("Анализ записан.")
    analysis_url = staff.url
    recommendation = staff.get_by_test_id("recommendations").locator("tr[data-recommendation]")
    expect(recommendation).to_have_count(1)
    expect(recommendation).to_contain_text(SCHOOLS[3])

    # The decision from the recommendation, as a new order of the department.
    recommendation.get_by_label("Срок решения").fill("в срок до 31.03.2023")
    recommendation.get_by_role("button", name="Принять решение").click()
    expect(staff.get_by_role("alert")).to_contain_text("Решение принято и поставлено на контроль.")
    decision_row = staff.get_by_test_id("decision-row").filter(has_text=RECOMMENDATION)
    expect(decision_row).to_contain_text("в срок до 31.03.2023")
    expect(decision_row.get_by_test_id("executor-link")).to_have_text(SCHOOLS[3])
    meeting_url = staff.url
    staff.goto(analysis_url)
    expect(staff.get_by_test_id("decision-link")).to_be_visible()

    # --- School № 3 reports on it, 01.03.2023; staff accept on 02.03.2023.
    at(3, 1)
    sch3.get_by_role("link", name="Мои поручения").click()
    sch3.get_by_test_id("my-assignment").filter(has_text=RECOMMENDATION).get_by_role("link").click()
    expect(sch3.get_by_test_id("deadline")).to_contain_text("31 марта 2023")
    sch3.get_by_label("Что сделано").fill(
        "Индивидуальные планы утверждены приказом от 28.02.2023 № 52"
    )
    sch3.get_by_role("button", name="Отправить отчёт").click()
    expect(sch3.get_by_test_id("status")).to_contain_text("отчёт представлен")

    at(3, 2)
    staff.goto(meeting_url)
    decision_row.get_by_test_id("executor-link").click()
    expect(staff.get_by_test_id("reports")).to_contain_text("приказом от 28.02.2023 № 52")
    staff.get_by_role("button", name="Принять, снять с контроля").click()
    expect(staff.get_by_test_id("status")).to_contain_text("исполнено")

    # --- Staff, 03.03.2023: the effectiveness review from the data.
    at(3, 3)
    row = board_row(staff)
    row.get_by_role("link", name=DIRECTION).click()
    staff.get_by_test_id("stage-actions").get_by_role("link", name="Анализ эффективности").click()
    form = staff.get_by_test_id("review-form")
    form.get_by_label("Показатель", exact=True).select_option(label=" ".join(SHARE))
    form.get_by_label("Период «до»").fill("2022")
    form.get_by_label("Период «после»").fill("2023")
    decisions = form.get_by_label("Решения", exact=True)
    expect(decisions.locator("option")).to_have_count(1)
    option = decisions.locator("option", has_text=RECOMMENDATION)
    decisions.select_option(value=option.get_attribute("value"))
    staff.get_by_role("button", name="Посчитать по данным").click()
    figures = staff.get_by_test_id("figures")
    before, after = mean(BEFORE, 0), mean(AFTER, 0)
    expect(figures.get_by_test_id("before")).to_have_text(str(before))
    expect(figures.get_by_test_id("after")).to_have_text(str(after))
    expect(figures).to_contain_text("достигнута")
    expect(figures.get_by_test_id("assignments")).to_have_text("1 / 1")
    expect(decisions.locator("option:checked")).to_have_count(1)
    form.get_by_label("Вывод", exact=True).select_option(label="эффективно")
    form.get_by_label("Комментарий").fill(
        "Доля неуспевающих снизилась с 11 до 5 %, цель достигнута"
    )
    staff.get_by_role("button", name="Записать вывод").click()
    expect(staff.get_by_role("alert")).to_contain_text("Вывод об эффективности записан.")
    expect(staff.get_by_test_id("verdict")).to_have_text("эффективно")
    expect(staff.get_by_test_id("before")).to_have_text(str(before))
    expect(staff.get_by_test_id("after")).to_have_text(str(after))
    expect(staff.get_by_test_id("assignments")).to_have_text("1 / 1")

    # The board now shows every stage of the cycle for the direction.
    row = board_row(staff)
    for stage in STAGES:
        expect(row.locator(f"td[data-stage='{stage}']")).to_have_class(re.compile("cycle-done"))
    expect(row.locator("td[data-stage='indicators']")).to_contain_text("✓ 2/23")
    expect(row.locator("td[data-stage='monitoring']")).to_contain_text("✓ 2")
    expect(row.locator("td[data-stage='decisions']")).to_contain_text("исполнено 1/1")
    for page in (staff, sch3, sch6, sch7):
        page.context.close()
