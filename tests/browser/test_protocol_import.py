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
    expect(rows).to_have_count(15)

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
    # «Принять к сведению» is not an order: left out.
    row("1.1").get_by_label("Не включать: Пункт 1.1").check()
    page.get_by_role("button", name="Сохранить совещание и разослать поручения").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Протокол сохранён: 14 пунктов, 194 поручений"
    )
    meeting_id = re.search(r"/meetings/(\d+)", page.url).group(1)
    expect(page.get_by_test_id("decision-row")).to_have_count(14)

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
