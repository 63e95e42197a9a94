"""Seed 002 clicked through: a specialist of Заречный makes the sheet and scores six schools."""

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_user
from tracker.demo.loader import LoadReport, load_organizations, load_users
from tracker.extensions import db

pytestmark = pytest.mark.browser
DATA = Path(__file__).parents[2] / "tracker/demo/data/expert_sheet_zarechny_2021.yaml"
SCHOOL_KEYS = ["zar-sch1", "zar-sch2", "zar-sch3", "zar-sch4", "zar-sch6", "zar-sch7"]


@pytest.fixture
def zarechny(ctx):
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    # The demo has no specialist in Заречный; the seed's sheet was made by one.
    make_user("metodist@zarechny.test", orgs["zar-uo"], "staff", "Методист Заречного")
    db.session.commit()
    return {key: orgs[key].short_name for key in ["zar-uo", *SCHOOL_KEYS]}


def test_specialist_scores_the_six_schools_as_in_the_seed(zarechny, page):
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    page.goto("/auth/login")
    page.get_by_label("Электронная почта").fill("metodist@zarechny.test")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()

    page.get_by_role("link", name="Экспертные листы").click()
    page.get_by_role("link", name="Новый лист").click()
    expect(page.get_by_label("Орган управления образованием")).to_contain_text(zarechny["zar-uo"])
    expect(page.get_by_label("Шкала")).to_have_value(
        "0 — не реализовано\n1 — частично\n2 — в полной мере"
    )
    page.get_by_label("Название", exact=True).fill(data["title"])
    page.get_by_label("Описание").fill("Дата собеседования: 26.01-01.02.2021г.")
    page.get_by_label("Критерии — по одному в строке").fill(
        "\n".join(f"{c['number']}. {c['text']}" for c in data["criteria"])
    )
    page.get_by_role("button", name="Сохранить лист").click()
    expect(page.get_by_role("alert")).to_contain_text("Лист сохранён.")
    expect(page.get_by_test_id("criteria-legend").locator("li")).to_have_count(7)
    expect(page.get_by_test_id("grid-row")).to_have_count(6)

    page.get_by_label("Дата оценки", exact=True).fill("2021-02-01")
    for column, key in enumerate(SCHOOL_KEYS):
        school = zarechny[key]
        for number, values in data["scores"].items():
            page.get_by_label(f"{school} — критерий {number}", exact=True).select_option(
                str(values[column])
            )
        page.get_by_label(f"{school} — выводы", exact=True).fill(data["findings"][key])
        page.get_by_label(f"{school} — рекомендации", exact=True).fill(
            "\n".join(data["recommendations"][key])
        )
    page.get_by_role("button", name="Сохранить баллы").click()

    expect(page.get_by_role("alert")).to_contain_text("Сохранено оценок: 6.")
    table = page.get_by_test_id("comparison")
    expect(table.locator("[data-testid=org-heading]")).to_have_text(
        [zarechny[k] for k in SCHOOL_KEYS]
    )
    expect(table.locator("[data-col=total]")).to_have_text(["10", "10", "10", "11", "9", "10"])
    expect(table.locator("tr[data-number='5'] [data-col=score]")).to_have_text(
        ["2", "2", "2", "2", "1", "2"]
    )
    expect(page.get_by_test_id("org-findings")).to_have_count(6)

    # One school's evaluation, with its findings and recommendations.
    table.get_by_role("link", name=zarechny["zar-sch6"]).click()
    expect(page.get_by_test_id("evaluation-total")).to_have_text("9")
    expect(page.get_by_test_id("recommendations")).to_contain_text("провести внутришкольный аудит")
