"""Seed 001 pasted into «Импорт протокола», corrected on the review screen, then the board."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tracker.demo.loader import DEMO_PASSWORD, LoadReport, load_organizations, load_users
from tracker.extensions import db

pytestmark = pytest.mark.browser
SEED_001 = (
    Path(__file__).parents[1] / "fixtures" / "seeds" / "001_petrozavodsk_protocol_2023-01-31.txt"
).read_text(encoding="utf-8")
SCHOOLS = [3, 6, 7, 10, 20, 29, 33, 43, 46, 5, 14, 35, 9, 25, 55]


@pytest.fixture
def petrozavodsk(ctx):
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    db.session.commit()
    return orgs


def school(n: int) -> str:
    return f"МОУ «Средняя школа № {n}»"


def test_seed_001_from_pasted_text_to_the_board(petrozavodsk, page):
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill("chervova@petrozavodsk.demo.test")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.get_by_role("link", name="Импорт протокола").click()

    page.get_by_label("Текст протокола").fill(SEED_001)
    page.get_by_role("button", name="Прочитать протокол").click()

    # The review: what was read, nothing created yet.
    expect(page.get_by_test_id("review-warnings")).to_contain_text("Не найден номер протокола")
    expect(page.get_by_label("Совещание (как в заголовке протокола)")).to_have_value(
        re.compile("^совещания руководителей муниципальных общеобразовательных организаций")
    )
    expect(page.get_by_label("Дата")).to_have_value("2023-01-31")
    rows = page.get_by_test_id("review-row")
    expect(rows).to_have_count(10)  # 1.2's dashes are its text: one obligation

    def row(number: str):
        return page.locator(f'[data-testid="review-row"][data-number="{number}"]')

    expect(row("1")).to_contain_text("заголовок")
    point_2 = row("2").get_by_label("Исполнители")
    expect(point_2.locator("option:checked")).to_have_count(15)
    expect(row("2").get_by_test_id("derived-deadline")).to_contain_text("27.02.2023")
    # № 55 taken out of point 2 and put back; taken out of point 3 for good.
    point_2.select_option(label=[school(n) for n in SCHOOLS if n != 55])
    expect(point_2.locator("option:checked")).to_have_count(14)
    point_2.select_option(label=[school(n) for n in SCHOOLS])
    row("3").get_by_label("Исполнители").select_option(
        label=[school(n) for n in SCHOOLS if n != 55]
    )
    # «Принять к сведению» is kept as a decision that needs no report: no assignments.
    expect(row("1.1").get_by_test_id("no-report")).to_be_visible()
    expect(row("1.1").get_by_label("Нужен отчёт")).not_to_be_checked()
    # 8 items × 15 schools, minus № 55 on point 3; recounted as the user edits
    expect(page.get_by_test_id("assignment-total")).to_have_text("119")
    expect(page.get_by_test_id("assignment-recipients")).to_contain_text(f"{school(55)} — 7")
    expect(page.get_by_test_id("assignment-recipients")).to_contain_text(f"{school(3)} — 8")
    page.get_by_role("button", name="Сохранить совещание и разослать поручения").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Протокол сохранён: 10 пунктов, 119 поручений"
    )
    meeting_id = re.search(r"/meetings/(\d+)", page.url).group(1)
    expect(page.get_by_test_id("decision-row")).to_have_count(10)
    expect(
        page.get_by_test_id("decision-row").filter(has_text="Принять к сведению")
    ).to_contain_text("без отчёта")

    # The board: 15 schools on points 2 and 4 with their own deadlines, 14 on point 3.
    def board_row(at: str, words: str):
        page.goto(f"/board?meeting_id={meeting_id}&at={at}")
        return page.get_by_test_id("board-grid").locator("tr", has_text=words)

    point_2_row = board_row("2023-02-27", "антирисковую программу")
    expect(point_2_row).to_contain_text("в срок до 27.02.2023")
    expect(point_2_row.locator("[data-status=assigned]")).to_have_count(15)
    expect(point_2_row.locator("[data-overdue]")).to_have_count(0)
    expect(
        board_row("2023-02-28", "антирисковую программу").locator("[data-overdue]")
    ).to_have_count(15)
    point_4 = "Разработать «Дорожную карту»"
    point_4_row = board_row("2023-02-21", point_4)
    expect(point_4_row).to_contain_text("в срок до 21.02.2023")
    expect(point_4_row.locator("[data-status=assigned]")).to_have_count(15)
    expect(point_4_row.locator("[data-overdue]")).to_have_count(0)
    expect(board_row("2023-02-22", point_4).locator("[data-overdue]")).to_have_count(15)
    point_3_row = board_row("2023-02-22", "распорядительный акт")
    expect(point_3_row.locator("[data-status=assigned]")).to_have_count(14)
    column_55 = page.locator("[data-testid=board-grid] th", has_text=school(55))
    org_55 = column_55.get_attribute("data-org")
    expect(point_3_row.locator(f'[data-cell$="-{org_55}"] [data-status]')).to_have_count(0)
    expect(point_2_row.locator(f'[data-cell$="-{org_55}"] [data-status]')).to_have_count(1)


ORDER = """УПРАВЛЕНИЕ ОБРАЗОВАНИЯ АДМИНИСТРАЦИИ ПЕТРОЗАВОДСКОГО ГОРОДСКОГО ОКРУГА

ПРИКАЗ

05.02.2024                                                          № 45

О мерах по повышению объективности оценочных процедур

По итогам анализа результатов всероссийских проверочных работ 2023 года ПРИКАЗЫВАЮ:
1. Информацию о результатах ВПР 2023 года принять к сведению.
2. Руководителям МОУ «Средняя школа № 3» и МОУ «Средняя школа № 6» разработать планы \
повышения объективности оценивания в срок до 01.03.2024.
3. Поручить МОУ «Средняя школа № 10» (Иванова И.И.) провести семинар для заместителей \
директоров в марте 2024 года.
4. Утвердить прилагаемый график перекрёстных проверок.
5. Контроль за исполнением приказа оставляю за собой.

Начальник управления образования                              С.А. Пахомова
"""


def test_order_with_verb_first_items_to_the_board(petrozavodsk, page):
    """An order («ПРИКАЗЫВАЮ:»): «принять к сведению», «утвердить» and the control item create
    nothing; the two verb-first items go to the schools they name, and the board shows exactly
    those three assignments."""
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill("chervova@petrozavodsk.demo.test")
    page.get_by_label("Пароль").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.get_by_role("link", name="Импорт протокола").click()
    page.get_by_label("Текст протокола").fill(ORDER)
    page.get_by_role("button", name="Прочитать протокол").click()

    expect(page.get_by_label("Документ")).to_have_value("prikaz")
    expect(page.get_by_label("Номер")).to_have_value("45")
    expect(page.get_by_label("Дата")).to_have_value("2024-02-05")
    expect(page.get_by_test_id("review-controller")).to_contain_text("С.А. Пахомова")
    expect(page.get_by_test_id("review-row")).to_have_count(5)

    def row(number: str):
        return page.locator(f'[data-testid="review-row"][data-number="{number}"]')

    for number in ("1", "4", "5"):
        expect(row(number).get_by_test_id("no-report")).to_be_visible()
    expect(row("2").get_by_label("Исполнители").locator("option:checked")).to_have_count(2)
    expect(row("3").get_by_label("Исполнители").locator("option:checked")).to_have_text(
        [school(10)]
    )
    expect(row("3").get_by_test_id("derived-deadline")).to_contain_text("31.03.2024")
    total = page.get_by_test_id("assignment-total")
    recipients = page.get_by_test_id("assignment-recipients").locator("li")
    expect(total).to_have_text("3")
    expect(recipients).to_have_text([f"{school(n)} — 1" for n in (3, 6, 10)])
    # the user decides point 4 needs a report from school № 10 after all, then changes their mind
    row("4").get_by_label("Нужен отчёт").check()
    row("4").get_by_label("Исполнители").select_option(label=school(10))
    expect(total).to_have_text("4")
    expect(recipients).to_have_text([f"{school(3)} — 1", f"{school(6)} — 1", f"{school(10)} — 2"])
    row("4").get_by_label("Нужен отчёт").uncheck()
    expect(total).to_have_text("3")
    page.get_by_role("button", name="Сохранить совещание и разослать поручения").click()

    expect(page.get_by_role("alert")).to_contain_text("Протокол сохранён: 5 пунктов, 3 поручений")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Приказ № 45")
    meeting_id = re.search(r"/meetings/(\d+)", page.url).group(1)
    page.goto(f"/board?meeting_id={meeting_id}&at=2024-02-06")
    grid = page.get_by_test_id("board-grid")
    expect(grid.locator("[data-status]")).to_have_count(3)
    plans = grid.locator("tr", has_text="разработать планы")
    expect(plans.locator("[data-status=assigned]")).to_have_count(2)
    expect(plans).to_contain_text("в срок до 01.03.2024")
    seminar = grid.locator("tr", has_text="провести семинар")
    expect(seminar.locator("[data-status=assigned]")).to_have_count(1)
    column_10 = grid.locator("th", has_text=school(10))
    org_10 = column_10.get_attribute("data-org")
    expect(seminar.locator(f'[data-cell$="-{org_10}"] [data-status]')).to_have_count(1)
