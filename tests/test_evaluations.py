"""Expert sheets: seed 002 through the forms, who sees which column, refusals, the loader."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from lxml import html as lxml_html
from openpyxl import load_workbook

from tests.factories import make_user
from tracker.core.models import AuditLog
from tracker.core.tenancy import system_actor
from tracker.demo.loader import (
    LoadReport,
    load_expert_sheets,
    load_organizations,
    load_users,
)
from tracker.evaluations import queries, services
from tracker.evaluations.models import Criterion, Evaluation, ExpertSheet, Score
from tracker.extensions import db

SEED = Path(__file__).parent / "fixtures/seeds/002_zarechny_expert_sheet.txt"
DATA = Path(__file__).parents[1] / "tracker/demo/data/expert_sheet_zarechny_2021.yaml"
SCHOOL_KEYS = ["zar-sch1", "zar-sch2", "zar-sch3", "zar-sch4", "zar-sch6", "zar-sch7"]


# --- the seed, read from the document itself ------------------------------------------------


def seed_table() -> tuple[list[str], dict[str, list[int]], list[int]]:
    """The seed's table: school headings, scores per criterion number, the totals row."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.strip().startswith("СОШ № 1"))
    schools = [cell.strip() for cell in header.split("\t") if cell.strip()]
    rows: dict[str, list[int]] = {}
    totals: list[int] = []
    for line in lines:
        cells = line.split("\t")
        if re.fullmatch(r"\d+\.", cells[0].strip()):
            rows[cells[0].strip().rstrip(".")] = [int(c) for c in cells[-6:]]
        elif len(cells) > 1 and cells[1].strip() == "ВСЕГО БАЛЛОВ":
            totals = [int(c) for c in cells[-6:]]
    return schools, rows, totals


def seed_data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def test_the_transcription_matches_the_seed():
    schools, rows, totals = seed_table()
    data = seed_data()
    assert schools == ["СОШ № 1", "СОШ № 2", "СОШ № 3", "СОШ № 4", "СОШ № 6", "СОШ № 7"]
    assert totals == [10, 10, 10, 11, 9, 10]
    assert dict(data["scores"]) == rows
    assert data["totals"] == totals
    assert [sum(col) for col in zip(*rows.values(), strict=True)] == totals


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def zarechny(ctx):
    """The real organization tree, and a specialist of Заречный (the demo has none)."""
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    load_users(db.session, orgs, report)
    staff = make_user("metodist@zarechny.test", orgs["zar-uo"], "staff", "Методист Заречного")
    director = make_user("dir2@zarechny.test", orgs["zar-sch2"], "director", "Директор СОШ № 2")
    db.session.commit()
    return orgs, staff, director


def make_sheet(world, *, kind="expert", threshold=None, criteria=None, dept=None):
    sheet = services.create_sheet(
        db.session,
        organization=dept or world.dept,
        title="Экспертный лист",
        kind=kind,
        threshold=threshold,
        criteria=criteria
        or [
            services.CriterionSpec("Анализ результатов", "1"),
            services.CriterionSpec("План соотносится с анализом", "2"),
            services.CriterionSpec("Ресурсы определены", "3"),
        ],
        actor=world.staff if dept is None else system_actor(db.session),
    )
    db.session.commit()
    return sheet


def score(sheet, org, values, **kwargs):
    evaluation = services.save_evaluation(
        db.session,
        sheet,
        org,
        scores={c.id: v for c, v in zip(sheet.criteria, values, strict=True)},
        **{"actor": system_actor(db.session), **kwargs},
    )
    db.session.commit()
    return evaluation


def comparison_from_page(page: str) -> dict:
    doc = lxml_html.fromstring(page)
    (table,) = doc.xpath("//table[@data-testid='comparison']")
    headings = [" ".join(th.text_content().split()) for th in table.xpath(".//th[@data-org]")]
    rows = {
        tr.get("data-number"): [
            int(td.text_content()) for td in tr.xpath("./td[@data-col='score']")
        ]
        for tr in table.xpath(".//tr[@data-testid='criterion-row']")
    }
    texts = {
        tr.get("data-number"): tr.xpath("./td")[1].text_content().strip()
        for tr in table.xpath(".//tr[@data-testid='criterion-row']")
    }
    totals = [int(td.text_content()) for td in table.xpath(".//td[@data-col='total']")]
    maxima = [int(td.text_content()) for td in table.xpath(".//td[@data-col='max']")]
    percents = [td.text_content().strip() for td in table.xpath(".//td[@data-col='percent']")]
    return {
        "headings": headings,
        "rows": rows,
        "texts": texts,
        "totals": totals,
        "max": maxima,
        "percent": percents,
    }


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- seed 002 through the forms ---------------------------------------------------------------


def test_seed_002_entered_through_the_forms(zarechny, client_for):
    orgs, staff, _director = zarechny
    data = seed_data()
    schools, rows, totals = seed_table()
    client = client_for(staff)

    criteria_text = "\n".join(f"{c['number']}. {c['text']}" for c in data["criteria"])
    response = client.post(
        "/evaluations/sheets/new",
        {
            "organization_id": orgs["zar-uo"].id,
            "kind": "expert",
            "title": data["title"],
            "description": "Дата собеседования: 26.01-01.02.2021г.",
            "scale": "0 — не реализовано\n1 — частично\n2 — в полной мере",
            "criteria": criteria_text,
            "default_max": "",
            "threshold": "",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    sheet = db.session.scalar(sa.select(ExpertSheet))
    assert response.headers["Location"].endswith(f"/evaluations/sheets/{sheet.id}/scores")
    assert sheet.scale == {"0": "не реализовано", "1": "частично", "2": "в полной мере"}
    assert [(c.number, c.max_score) for c in sheet.criteria] == [(str(n), 2) for n in range(1, 8)]

    grid = client.get(f"/evaluations/sheets/{sheet.id}/scores").get_data(as_text=True)
    doc = lxml_html.fromstring(grid)
    shown = [tr.get("data-org") for tr in doc.xpath("//tr[@data-testid='grid-row']")]
    assert shown == [str(orgs[k].id) for k in SCHOOL_KEYS]  # the seed's column order

    form = {"evaluated_on": "2021-02-01"}
    numbers = {c.number: c.id for c in sheet.criteria}
    for column, key in enumerate(SCHOOL_KEYS):
        org_id = orgs[key].id
        for number, values in rows.items():
            form[f"score-{org_id}-{numbers[number]}"] = str(values[column])
        form[f"findings-{org_id}"] = data["findings"][key]
        form[f"recommendations-{org_id}"] = "\n".join(data["recommendations"][key])
    response = client.post(f"/evaluations/sheets/{sheet.id}/scores", form)
    assert response.status_code == 302, response.get_data(as_text=True)

    evaluations = db.session.scalars(sa.select(Evaluation)).all()
    assert len(evaluations) == 6 and count(Score) == 42
    assert all(
        e.evaluated_on == date(2021, 2, 1) and e.evaluator_id == staff.id for e in evaluations
    )
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.action.like("evaluation.%"))
    ).all()
    assert actions == ["evaluation.create"] * 6

    page = client.get(f"/evaluations/sheets/{sheet.id}").get_data(as_text=True)
    table = comparison_from_page(page)
    assert [h.split("«")[-1].rstrip("»") for h in table["headings"]] == schools
    assert table["rows"] == rows  # row by row, criterion by criterion
    assert table["texts"] == {c["number"]: c["text"] for c in data["criteria"]}
    assert table["totals"] == totals == [10, 10, 10, 11, 9, 10]
    assert table["max"] == [14] * 6
    assert table["percent"] == ["71,4 %", "71,4 %", "71,4 %", "78,6 %", "64,3 %", "71,4 %"]
    assert "ВСЕГО БАЛЛОВ" in page
    assert "проанализировать управленческие действия" in page

    export = client.get(f"/evaluations/sheets/{sheet.id}/comparison.xlsx")
    assert export.status_code == 200
    ws = load_workbook(io.BytesIO(export.data)).active
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    header_row = next(i for i, r in enumerate(cells) if r[0] == "№")
    assert cells[header_row][1:3] == ["Критерии", "Количество баллов"]
    assert [h.split("«")[-1].rstrip("»") for h in cells[header_row + 1][2:8]] == schools
    body = cells[header_row + 2 : header_row + 2 + 7]
    assert {r[0].rstrip("."): list(r[2:8]) for r in body} == rows
    assert [r[1] for r in body] == [c["text"] for c in data["criteria"]]
    total_row = cells[header_row + 9]
    assert total_row[1] == "ВСЕГО БАЛЛОВ" and list(total_row[2:8]) == totals
    assert cells[header_row + 10][1] == "Максимально возможно"
    assert [round(v, 3) for v in cells[header_row + 11][2:8]] == [
        0.714,
        0.714,
        0.714,
        0.786,
        0.643,
        0.714,
    ]

    # Saving again updates the same six evaluations; nothing is duplicated.
    form[f"score-{orgs['zar-sch6'].id}-{numbers['5']}"] = "2"
    assert client.post(f"/evaluations/sheets/{sheet.id}/scores", form).status_code == 302
    assert count(Evaluation) == 6 and count(Score) == 42
    table = comparison_from_page(
        client.get(f"/evaluations/sheets/{sheet.id}").get_data(as_text=True)
    )
    assert table["totals"] == [10, 10, 10, 11, 10, 10]


def test_staff_of_zarechny_see_the_link_and_the_list(zarechny, client_for):
    _orgs, staff, _director = zarechny
    client = client_for(staff)
    home = client.get("/").get_data(as_text=True)
    assert "Экспертные листы" in home
    page = client.get("/evaluations/").get_data(as_text=True)
    assert "Новый лист" in page and "Листов пока нет." in page


# --- who sees what ----------------------------------------------------------------------------


@pytest.fixture
def scored(world):
    sheet = make_sheet(world)
    own = score(sheet, world.school, [2, 1, 1], findings="Свои выводы", recommendations="Своё")
    sibling = score(sheet, world.sibling, [0, 0, 2], findings="Чужие выводы школы шесть")
    return sheet, own, sibling


def test_director_sees_only_their_own_school(world, scored, client_for):
    sheet, own, sibling = scored
    client = client_for(world.director)
    page = client.get(f"/evaluations/sheets/{sheet.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    table = comparison_from_page(text)
    assert table["headings"] == [world.school.short_name]
    assert table["rows"] == {"1": [2], "2": [1], "3": [1]} and table["totals"] == [4]
    assert world.sibling.short_name not in text and "Чужие выводы" not in text
    assert "Свои выводы" in text
    assert "Выставить баллы" not in text

    assert client.get(f"/evaluations/{own.id}").status_code == 200
    own_page = client.get(f"/evaluations/{own.id}").get_data(as_text=True)
    assert "Свои выводы" in own_page and 'data-testid="evaluation-total">4<' in own_page
    assert client.get(f"/evaluations/{sibling.id}").status_code == 404

    export = client.get(f"/evaluations/sheets/{sheet.id}/comparison.xlsx")
    assert export.status_code == 200
    ws = load_workbook(io.BytesIO(export.data)).active
    everything = " ".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert world.school.short_name in everything
    assert world.sibling.short_name not in everything

    # The scoring grid and the template are the department's.
    assert client.get(f"/evaluations/sheets/{sheet.id}/scores").status_code == 404
    assert client.get(f"/evaluations/sheets/{sheet.id}/edit").status_code == 404
    assert client.post(f"/evaluations/{own.id}/delete").status_code == 404
    assert client.get("/evaluations/sheets/new").status_code == 403
    denied = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied")).all()
    assert any(
        d.details["target_type"] == "evaluations" and d.details["target_id"] == sibling.id
        for d in denied
    )


def test_director_whose_school_was_not_scored_gets_404(world, client_for):
    sheet = make_sheet(world)
    other = score(sheet, world.sibling, [2, 2, 2])
    client = client_for(world.director)
    assert client.get(f"/evaluations/sheets/{sheet.id}").status_code == 404
    assert client.get(f"/evaluations/sheets/{sheet.id}/comparison.xlsx").status_code == 404
    assert client.get(f"/evaluations/{other.id}").status_code == 404
    assert "Экспертный лист" not in client.get("/evaluations/").get_data(as_text=True)


def test_staff_of_another_department_see_nothing(world, scored, client_for):
    sheet, own, _sibling = scored
    client = client_for(world.other_staff)
    for url in (
        f"/evaluations/sheets/{sheet.id}",
        f"/evaluations/sheets/{sheet.id}/comparison.xlsx",
        f"/evaluations/sheets/{sheet.id}/scores",
        f"/evaluations/sheets/{sheet.id}/edit",
        f"/evaluations/{own.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/evaluations/{own.id}/delete").status_code == 404
    listing = client.get("/evaluations/").get_data(as_text=True)
    assert "Экспертный лист" not in listing and "Листов пока нет." in listing
    # Posting scores for their own school onto the foreign sheet is not possible either.
    form = {f"score-{world.other_school.id}-{c.id}": "1" for c in sheet.criteria}
    assert client.post(f"/evaluations/sheets/{sheet.id}/scores", form).status_code == 404
    assert count(Evaluation) == 2


def test_staff_see_every_column_and_can_delete(world, scored, client_for):
    sheet, _own, sibling = scored
    client = client_for(world.staff)
    table = comparison_from_page(
        client.get(f"/evaluations/sheets/{sheet.id}").get_data(as_text=True)
    )
    assert table["headings"] == [world.school.short_name, world.sibling.short_name]
    assert table["totals"] == [4, 2]
    assert client.post(f"/evaluations/{sibling.id}/delete").status_code == 302
    assert count(Evaluation) == 1 and count(Score) == 3
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "evaluation.delete"))


# --- refusals ---------------------------------------------------------------------------------


def grid_form(sheet, rows: dict[int, list[str]]) -> dict[str, str]:
    form: dict[str, str] = {"evaluated_on": "2021-02-01"}
    for org_id, values in rows.items():
        for criterion, value in zip(sheet.criteria, values, strict=True):
            form[f"score-{org_id}-{criterion.id}"] = value
        form[f"findings-{org_id}"] = "Выводы"
    return form


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (["2", "3", "1"], "критерий 2: балл 3 вне шкалы 0–2"),
        (["2", "-1", "1"], "критерий 2: балл -1 вне шкалы 0–2"),
        (["2", "много", "1"], "Балл «много» — не число."),
        (["2", "", "1"], "не выставлен балл по критериям 2"),
    ],
)
def test_values_outside_the_scale_are_refused(world, client_for, bad, message):
    sheet = make_sheet(world)
    client = client_for(world.staff)
    form = grid_form(sheet, {world.school.id: ["2", "2", "2"], world.sibling.id: bad})
    response = client.post(f"/evaluations/sheets/{sheet.id}/scores", form)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert message in text
    assert "Ничего не сохранено" in text
    assert count(Evaluation) == 0 and count(Score) == 0
    assert (
        db.session.scalar(sa.select(AuditLog).where(AuditLog.action.like("evaluation.%"))) is None
    )
    # The entered values stay on the page to be corrected.
    doc = lxml_html.fromstring(text)
    first = doc.xpath(f"//select[@name='score-{world.school.id}-{sheet.criteria[0].id}']")[0]
    assert first.xpath("./option[@selected]")[0].get("value") == "2"


def test_a_school_outside_the_department_is_refused(world, client_for):
    sheet = make_sheet(world)
    client = client_for(world.staff)
    form = grid_form(
        sheet, {world.school.id: ["2", "2", "2"], world.other_school.id: ["1", "1", "1"]}
    )
    response = client.post(f"/evaluations/sheets/{sheet.id}/scores", form)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{world.other_school.short_name} не относится к {world.dept.short_name}" in text
    assert count(Evaluation) == 0 and count(Score) == 0
    # The department itself is not one of its schools either.
    with pytest.raises(services.EvaluationError, match="не относится"):
        score(sheet, world.dept, [1, 1, 1])
    db.session.rollback()
    form = grid_form(sheet, {999999: ["1", "1", "1"]})
    text = client.post(f"/evaluations/sheets/{sheet.id}/scores", form).get_data(as_text=True)
    assert "Организация не найдена." in text and count(Evaluation) == 0


def test_an_empty_grid_saves_nothing(world, client_for):
    sheet = make_sheet(world)
    client = client_for(world.staff)
    form = {"evaluated_on": ""}
    form.update({f"score-{world.school.id}-{c.id}": "" for c in sheet.criteria})
    text = client.post(f"/evaluations/sheets/{sheet.id}/scores", form).get_data(as_text=True)
    assert "Ничего не сохранено: баллы не выставлены." in text
    assert count(Evaluation) == 0


def test_services_refuse_actors_without_the_right(world):
    sheet = make_sheet(world)
    with pytest.raises(services.NotAllowed):
        score(sheet, world.school, [1, 1, 1], actor=world.director)
    with pytest.raises(services.NotAllowed):
        services.create_sheet(
            db.session,
            organization=world.dept,
            title="Лист",
            criteria=[services.CriterionSpec("Критерий")],
            actor=world.other_staff,
        )
    with pytest.raises(services.EvaluationError, match="а не школа"):
        services.create_sheet(
            db.session,
            organization=world.school,
            title="Лист",
            criteria=[services.CriterionSpec("Критерий")],
            actor=system_actor(db.session),
        )


# --- the sheet form ---------------------------------------------------------------------------


def test_criteria_from_lines():
    specs = services.criteria_from_lines(
        "1. Первый критерий\n\n   Без номера\n3) Третий | 3\n1.2 Подпункт\nЕщё без номера",
        default_max=2,
    )
    assert [(s.number, s.text, s.max_score) for s in specs] == [
        ("1", "Первый критерий", 2),
        ("2", "Без номера", 2),
        ("3", "Третий", 3),
        ("1.2", "Подпункт", 2),
        ("4", "Ещё без номера", 2),
    ]
    with pytest.raises(services.EvaluationError, match=re.escape("Строка 1: после «|» ожидается")):
        services.criteria_from_lines("Критерий | три")
    assert services.scale_from_lines("0 — нет\n1: да\n") == {"0": "нет", "1": "да"}
    with pytest.raises(services.EvaluationError, match="Шкала"):
        services.scale_from_lines("нет — 0")


def test_diagnostic_card_marks_schools_at_the_threshold(world, client_for):
    client = client_for(world.staff)
    base = {
        "organization_id": world.dept.id,
        "kind": "diagnostic",
        "title": "Диагностическая карта ШНРО",
        "scale": "",
        "criteria": "Низкие результаты ОГЭ\nНизкие результаты ЕГЭ\nНеобъективность ВПР | 3\n"
        "Нет призёров олимпиад",
        "default_max": "",
        "threshold": "",
    }
    response = client.post("/evaluations/sheets/new", base)
    assert response.status_code == 200
    assert "Укажите порог диагностической карты" in response.get_data(as_text=True)
    assert count(ExpertSheet) == 0
    response = client.post("/evaluations/sheets/new", base | {"threshold": "3"})
    assert response.status_code == 302
    sheet = db.session.scalar(sa.select(ExpertSheet))
    assert sheet.scale == services.DIAGNOSTIC_SCALE and sheet.threshold == 3
    assert [c.max_score for c in sheet.criteria] == [1, 1, 3, 1]

    form = grid_form(
        sheet, {world.school.id: ["1", "0", "2", "0"], world.sibling.id: ["0", "0", "1", "1"]}
    )
    assert client.post(f"/evaluations/sheets/{sheet.id}/scores", form).status_code == 302
    table = queries.comparison(db.session, world.staff, sheet)
    assert [(c.organization.id, c.total, c.low) for c in table.columns] == [
        (world.school.id, 3, True),
        (world.sibling.id, 2, False),
    ]
    page = client.get(f"/evaluations/sheets/{sheet.id}").get_data(as_text=True)
    doc = lxml_html.fromstring(page)
    (low,) = doc.xpath("//*[@data-testid='low-results']")
    assert world.school.short_name in low.text_content()
    assert world.sibling.short_name not in low.text_content()
    ws = load_workbook(
        io.BytesIO(client.get(f"/evaluations/sheets/{sheet.id}/comparison.xlsx").data)
    ).active
    last = list(ws.iter_rows(values_only=True))[-1]
    assert last[1].startswith("Низкие результаты") and list(last[2:4]) == ["да", None]
    evaluation_page = client.get(f"/evaluations/{table.columns[0].evaluation.id}")
    assert "с низкими результатами" in evaluation_page.get_data(as_text=True)


def test_editing_a_scored_sheet_keeps_its_scores_safe(world, client_for):
    sheet = make_sheet(world)
    score(sheet, world.school, [2, 2, 1])
    client = client_for(world.staff)
    edit = client.get(f"/evaluations/sheets/{sheet.id}/edit").get_data(as_text=True)
    assert "1. Анализ результатов" in edit
    base = {
        "organization_id": world.dept.id,
        "kind": "expert",
        "title": "Экспертный лист (уточнён)",
        "scale": "0 — не реализовано\n1 — частично\n2 — в полной мере",
        "default_max": "",
        "threshold": "",
    }
    text = client.post(
        f"/evaluations/sheets/{sheet.id}/edit",
        base | {"criteria": "1. Анализ результатов\n2. План"},
    ).get_data(as_text=True)
    assert "Критерий 3 уже оценён, удалить его нельзя." in text
    text = client.post(
        f"/evaluations/sheets/{sheet.id}/edit",
        base | {"criteria": "1. Анализ результатов | 1\n2. План\n3. Ресурсы"},
    ).get_data(as_text=True)
    assert "уже выставлен балл 2" in text
    response = client.post(
        f"/evaluations/sheets/{sheet.id}/edit",
        base | {"criteria": "1. Анализ результатов\n2. План\n3. Ресурсы\n4. Контроль исполнения"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    sheet = db.session.get(ExpertSheet, sheet.id)
    assert sheet.title == "Экспертный лист (уточнён)"
    assert [c.text for c in sheet.criteria] == [
        "Анализ результатов",
        "План",
        "Ресурсы",
        "Контроль исполнения",
    ]
    assert count(Score) == 3
    # The new criterion shows as not yet scored; the old total stands.
    table = queries.comparison(db.session, world.staff, sheet)
    assert table.rows[-1][1] == [None] and table.totals == [5] and table.max_total == 8


# --- the demo loader --------------------------------------------------------------------------


def test_demo_loader_makes_the_sheet_once(ctx):
    report = LoadReport()
    orgs = load_organizations(db.session, report)
    users = load_users(db.session, orgs, report)
    load_expert_sheets(db.session, orgs, users, report)
    db.session.commit()
    assert report.created["expert_sheets"] == 1 and report.created["evaluations"] == 6
    first = {m.__tablename__: count(m) for m in (ExpertSheet, Criterion, Evaluation, Score)}
    assert first == {"expert_sheets": 1, "criteria": 7, "evaluations": 6, "scores": 42}

    again = LoadReport()
    load_expert_sheets(db.session, orgs, users, again)
    db.session.commit()
    assert again.created == {}
    assert {m.__tablename__: count(m) for m in (ExpertSheet, Criterion, Evaluation, Score)} == first

    sheet = db.session.scalar(sa.select(ExpertSheet).where(ExpertSheet.key == "zar-2021-expert"))
    staff = make_user("metodist@zarechny.test", orgs["zar-uo"], "staff")
    table = queries.comparison(db.session, staff, sheet)
    _schools, rows, totals = seed_table()
    assert [c.organization.key for c in table.columns] == SCHOOL_KEYS
    assert table.totals == totals
    assert {c.number: v for c, v in table.rows} == rows
    sch6 = table.columns[4].evaluation
    assert sch6.evaluated_on == date(2021, 2, 1)
    assert sch6.recommendations.startswith("провести внутришкольный аудит")
    assert "адресного сборника" in sch6.findings
