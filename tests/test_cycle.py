"""The management cycle: seed 003's table from measurements, monitoring through assignments,
values by form and XLSX, analysis, decisions from recommendations, effectiveness, the board."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tracker.assignments import services as assignments
from tracker.assignments.models import Assignment
from tracker.core import clock
from tracker.core.models import AuditLog
from tracker.cycle import documents, queries, services, values
from tracker.cycle.board import cycle_board
from tracker.cycle.models import Direction, Measurement
from tracker.demo.loader import LoadReport, load_directions
from tracker.extensions import db

SEED_003 = Path(__file__).parent / "fixtures" / "seeds" / "003_krasny_kholm_extract_12.txt"


def seed_003_table() -> list[tuple[str, int, int, int, int, str, str]]:
    """The rows of the seed's table as printed: direction, scores, maxima, percentages."""
    rows = []
    for line in SEED_003.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) == 7 and all(re.fullmatch(r"\d+", c) for c in cells[1:5]):
            name, s22, s23, m22, m23, p22, p23 = cells
            rows.append((name.strip(), int(s22), int(s23), int(m22), int(m23), p22, p23))
    return rows


@pytest.fixture
def directions(ctx):
    load_directions(db.session, LoadReport())
    db.session.commit()
    return {d.name: d for d in db.session.scalars(sa.select(Direction))}


def test_seed_003_table_entered_as_measurements_reproduces_the_seed(world, directions, client_for):
    table = seed_003_table()
    assert len(table) == 8
    mum = {d.name: d for d in directions.values() if d.framework == "MUM"}
    indicators = {}
    for n, (name, _s22, _s23, m22, _m23, _p22, _p23) in enumerate(table, start=1):
        indicators[name] = services.create_indicator(
            db.session,
            world.staff,
            world.dept,
            code=f"МУМ-{n}",
            name=f"Балл по направлению «{name}»",
            unit="score",
            max_value=Decimal(m22),
            direction_id=mum[name].id,
            source="региональная экспертиза МУМ (ГБОУ ТО ЦОКО)",
            periodicity="ежегодно",
        )
    db.session.commit()
    client = client_for(world.staff)
    for year, column in (("2022", 1), ("2023", 2)):
        form = {f"value-{indicators[row[0]].id}": str(row[column]) for row in table}
        response = client.post(f"/cycle/values?organization_id={world.dept.id}&period={year}", form)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    result = queries.score_table(db.session, world.staff, world.dept, "MUM")
    assert result.periods == ["2022", "2023"]
    by_name = {r.direction.name: r for r in result.rows}
    for name, s22, s23, m22, m23, p22, p23 in table:
        row = by_name[name]
        assert (row.scores["2022"], row.scores["2023"]) == (s22, s23)
        assert (row.maxima["2022"], row.maxima["2023"]) == (m22, m23)
        assert (f"{row.percents['2022']}%", f"{row.percents['2023']}%") == (p22, p23), name
    assert (result.totals["2022"], result.maxima["2022"], result.percents["2022"]) == (290, 442, 66)
    assert (result.totals["2023"], result.maxima["2023"], result.percents["2023"]) == (164, 442, 37)
    assert result.change == -29
    # Five directions down and one up, as the seed says; the table itself shows two stable
    # rows (100% and 93%), where the seed's text counts one.
    assert result.trends() == {"down": 5, "up": 1, "stable": 2}
    page = client.get(f"/cycle/scores?organization_id={world.dept.id}").get_data(as_text=True)
    assert "66%" in page and "37%" in page and "-29" in page


def test_values_are_checked_against_the_unit_and_nothing_is_saved_on_error(world, directions):
    direction = next(iter(directions.values()))
    share = services.create_indicator(
        db.session,
        world.staff,
        world.dept,
        code="П1",
        name="Доля",
        unit="percent",
        direction_id=direction.id,
    )
    flag = services.create_indicator(
        db.session,
        world.staff,
        world.dept,
        code="П2",
        name="Есть программа",
        unit="bool",
        direction_id=direction.id,
    )
    db.session.commit()
    with pytest.raises(values.CycleError) as error:
        services.save_values(
            db.session, world.director, world.school, "2023", {share: "85,5", flag: "может быть"}
        )
    assert error.value.rows == {flag.id: "Ожидается «да» или «нет», а не «может быть»."}
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 0
    for bad, message in (("120", "больше 100"), ("-3", "отрицательным"), ("abc", "не число")):
        with pytest.raises(values.CycleError, match=message):
            services.save_values(db.session, world.director, world.school, "2023", {share: bad})
    with pytest.raises(values.CycleError, match="Период"):
        services.save_values(db.session, world.director, world.school, "23 год", {share: "1"})
    with pytest.raises(services.NotAllowed):
        services.save_values(db.session, world.director, world.sibling, "2023", {share: "1"})
    saved = services.save_values(
        db.session, world.director, world.school, "2023", {share: "85,5 %", flag: "да"}
    )
    assert sorted(m.value for m in saved) == [Decimal(1), Decimal("85.5")]


@pytest.fixture
def campaign(world, directions):
    clock.freeze(datetime(2023, 3, 1, 9, 0, tzinfo=UTC))
    direction = next(d for d in directions.values() if d.framework == "VSOKO")
    first = services.create_indicator(
        db.session,
        world.staff,
        world.dept,
        code="ВСОКО-1",
        name="Доля неуспевающих",
        unit="percent",
        better="lower",
        target_value=Decimal(5),
        threshold_value=Decimal(10),
        direction_id=direction.id,
    )
    second = services.create_indicator(
        db.session,
        world.staff,
        world.dept,
        code="ВСОКО-2",
        name="Средний балл ВПР",
        unit="score",
        max_value=Decimal(5),
        direction_id=direction.id,
    )
    item = services.open_campaign(
        db.session,
        world.staff,
        world.dept,
        title="Учебная неуспешность",
        period="2023",
        indicators=[first, second],
        organizations=[world.school, world.sibling],
        deadline_text="в срок до 15.03.2023",
        direction_id=direction.id,
    )
    db.session.commit()
    yield item
    clock.freeze(None)


def test_a_campaign_asks_each_school_through_an_assignment(world, campaign, client_for):
    asked = db.session.scalars(
        sa.select(Assignment).where(Assignment.decision_id == campaign.decision_id)
    ).all()
    assert {a.organization_id for a in asked} == {world.school.id, world.sibling.id}
    assert asked[0].due_date.isoformat() == "2023-03-15"
    assert campaign.decision.meeting.kind == "order"
    staff_page = (
        client_for(world.staff).get(f"/cycle/campaigns/{campaign.id}").get_data(as_text=True)
    )
    assert "Не представили значения: 2 из 2" in staff_page
    mine = client_for(world.director).get(f"/cycle/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Средняя школа № 3" in mine and "Средняя школа № 6" not in mine
    assert client_for(world.other_staff).get(f"/cycle/campaigns/{campaign.id}").status_code == 404


def test_a_school_submits_by_form_and_the_assignment_closes_itself(world, campaign, client_for):
    client = client_for(world.director)
    first, second = campaign.indicators
    url = f"/cycle/campaigns/{campaign.id}/values/{world.school.id}"
    page = client.post(url, {f"value-{first.id}": "7", f"value-{second.id}": "6"})
    assert "Больше максимального балла (5)" in page.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 0
    client.post(url, {f"value-{first.id}": "7"})  # one of two: saved, not yet reported
    assignment = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.decision_id == campaign.decision_id,
            Assignment.organization_id == world.school.id,
        )
    )
    db.session.rollback()
    assert assignment.status == "assigned"
    client.post(url, {f"value-{first.id}": "7", f"value-{second.id}": "4,2"})
    db.session.rollback()
    closed = db.session.get(Assignment, assignment.id)
    assert (closed.status, closed.on_time) == ("done", True)
    (report,) = closed.reports
    assert report.state == "accepted" and report.reviewed_by_id is None
    accepted = db.session.scalars(
        sa.select(AuditLog).where(
            AuditLog.action == "assignment.accept", AuditLog.object_id == closed.id
        )
    ).one()
    assert accepted.actor_id is None and accepted.details["via"] == "monitoring"
    (row,) = [r for r in queries.campaign_rows(db.session, world.staff, campaign) if r.complete]
    assert row.organization.id == world.school.id and row.late is False
    clock.freeze(datetime(2023, 3, 20, 9, 0, tzinfo=UTC))  # after «в срок до 15.03.2023»
    late = {
        r.organization.id: r.late for r in queries.campaign_rows(db.session, world.staff, campaign)
    }
    assert late == {world.school.id: False, world.sibling.id: True}
    sibling = client_for(world.sibling_director)
    first_id, second_id = first.id, second.id
    sibling.post(
        f"/cycle/campaigns/{campaign.id}/values/{world.sibling.id}",
        {f"value-{first_id}": "3", f"value-{second_id}": "4"},
    )
    db.session.rollback()
    rows = queries.campaign_rows(db.session, world.staff, campaign)
    assert all(r.complete for r in rows)
    assert {r.organization.id: r.late for r in rows}[world.sibling.id] is True  # reported late
    assert (
        client.post(f"/cycle/campaigns/{campaign.id}/values/{world.sibling.id}", {}).status_code
        == 404
    )


def test_a_school_uploads_the_xlsx_template(world, campaign, client_for):
    client = client_for(world.director)
    url = f"/cycle/campaigns/{campaign.id}/values/{world.school.id}"
    template = client.get(url + ".xlsx").data
    sheet = load_workbook(BytesIO(template)).active
    assert [c.value for c in sheet[3]] == list(documents.HEADER)
    sheet["D4"] = "12,5"
    sheet["D5"] = "пять"
    out = BytesIO()
    sheet.parent.save(out)
    page = client.post(
        url, {"file": (BytesIO(out.getvalue()), "values.xlsx")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "«пять» — не число" in page
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Measurement)) == 0
    sheet["D5"] = 4
    out = BytesIO()
    sheet.parent.save(out)
    client.post(
        url, {"file": (BytesIO(out.getvalue()), "values.xlsx")}, content_type="multipart/form-data"
    )
    db.session.rollback()
    values = sorted(v for v in db.session.scalars(sa.select(Measurement.value)))
    assert values == [Decimal(4), Decimal("12.5")]
    for data, message in ((b"not a zip", "не таблица .xlsx"), (b"", "пустой")):
        page = client.post(
            url, {"file": (BytesIO(data), "v.xlsx")}, content_type="multipart/form-data"
        ).get_data(as_text=True)
        assert message in page


def test_analysis_recommendation_decision_and_effectiveness(world, campaign, client_for):
    first, _second = campaign.indicators
    services.save_values(db.session, world.staff, world.school, "2022", {first: "14"})
    services.save_values(db.session, world.staff, world.sibling, "2022", {first: "8"})
    services.save_values(db.session, world.staff, world.school, "2023", {first: "6"})
    services.save_values(db.session, world.staff, world.sibling, "2023", {first: "4"})
    db.session.commit()
    summary = queries.direction_summary(db.session, world.staff, first.direction, world.dept)
    row = next(s for s in summary if s.indicator.id == first.id)
    assert row.means == {"2022": Decimal("11.0"), "2023": Decimal("5.0")}
    assert row.at_risk == {"2022": 1, "2023": 0} and row.change == Decimal("-6.0")
    assert row.target_reached is True
    page = client_for(world.staff).get(f"/cycle/indicators/{first.id}").get_data(as_text=True)
    assert 'data-testid="chart"' in page and 'data-testid="by-school"' in page
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF-")):
        export = client_for(world.staff).get(f"/cycle/directions/{first.direction_id}.{fmt}")
        assert export.status_code == 200 and export.data.startswith(magic), fmt
    sheet = load_workbook(
        BytesIO(client_for(world.staff).get(f"/cycle/directions/{first.direction_id}.xlsx").data)
    ).active
    assert [c.value for c in sheet[3] if c.value is not None][:5] == [
        "ВСОКО-1",
        "Доля неуспевающих",
        5,
        11,
        1,
    ]
    assert (
        client_for(world.director).get(f"/cycle/directions/{first.direction_id}.pdf").status_code
        == 403
    )
    _periods, schools = queries.indicator_by_school(db.session, world.director, first, world.dept)
    assert [s.organization.id for s in schools] == [world.school.id]  # only their own
    analysis = services.create_analysis(
        db.session,
        world.staff,
        world.dept,
        title="Анализ учебной неуспешности 2022",
        direction_id=first.direction_id,
        indicator_id=first.id,
        period="2022",
        recommendations=[(world.school, "Разработать индивидуальные планы для неуспевающих")],
    )
    db.session.commit()
    recommendation = analysis.recommendations[0]
    response = client_for(world.staff).post(
        f"/cycle/recommendations/{recommendation.id}/decide",
        {"deadline_text": "в срок до 31.05.2023", "meeting_id": "0"},
    )
    assert response.status_code == 302
    db.session.rollback()
    decision = db.session.get(type(recommendation), recommendation.id).decision
    assert decision.text.startswith("Разработать индивидуальные планы")
    (assignment,) = decision.assignments
    assert assignment.organization_id == world.school.id
    assignments.submit_report(db.session, assignment, world.director, "Планы утверждены")
    assignments.transition(db.session, assignment, "accept", world.staff)
    review = services.record_review(
        db.session,
        world.staff,
        world.dept,
        decisions=[decision],
        indicator=first,
        period_before="2022",
        period_after="2023",
        verdict="effective",
        comment="Доля неуспевающих снизилась вдвое",
    )
    db.session.commit()
    assert review.figures["before"] == "11.0" and review.figures["after"] == "5.0"
    assert review.figures["target_reached"] is True
    assert (review.figures["assignments_on_time"], review.figures["assignments"]) == (1, 1)
    board = cycle_board(db.session, world.staff, world.dept, 2023)
    row = next(r for r in board if r.direction.id == first.direction_id)
    assert {s: row.cells[s].count > 0 for s in row.cells} == {
        "goals": False,
        "indicators": True,
        "monitoring": True,
        "analysis": False,  # the analysis was of 2022
        "decisions": True,
        "effectiveness": True,
    }
    assert row.missing == ["goals", "analysis"]
    page = client_for(world.staff).get("/cycle?year=2023").get_data(as_text=True)
    assert 'data-testid="cycle-board"' in page
    assert client_for(world.other_staff).get(f"/cycle/analyses/{analysis.id}").status_code == 404
    assert client_for(world.other_staff).get(f"/cycle/reviews/{review.id}").status_code == 404


def test_a_closed_campaign_takes_no_more_values(world, campaign, client_for):
    first, _second = campaign.indicators
    assert (
        client_for(world.director).post(f"/cycle/campaigns/{campaign.id}/close", {}).status_code
        == 403
    )
    client_for(world.staff).post(f"/cycle/campaigns/{campaign.id}/close", {})
    db.session.rollback()
    assert db.session.get(type(campaign), campaign.id).status == "closed"
    page = (
        client_for(world.director)
        .get(f"/cycle/campaigns/{campaign.id}/values/{world.school.id}")
        .get_data(as_text=True)
    )
    assert f'name="value-{first.id}"' not in page  # the form is gone
    with pytest.raises(values.CycleError, match="закрыт"):
        services.submit_campaign_values(
            db.session, world.director, campaign, world.school, {first: "1"}
        )


def test_manual_acceptance_leaves_the_values_to_the_controller(world, client_for):
    clock.freeze(datetime(2023, 2, 10, 9, 0, tzinfo=UTC))
    indicator = services.create_indicator(
        db.session, world.staff, world.dept, code="M1", name="Доля", unit="percent"
    )
    campaign = services.open_campaign(
        db.session,
        world.staff,
        world.dept,
        title="Ручная проверка",
        period="2023",
        indicators=[indicator],
        organizations=[world.school],
        deadline_text="в срок до 15.03.2023",
        manual_acceptance=True,
    )
    db.session.commit()
    assert campaign.manual_acceptance is True
    client_for(world.director).post(
        f"/cycle/campaigns/{campaign.id}/values/{world.school.id}", {f"value-{indicator.id}": "55"}
    )
    db.session.rollback()
    (assignment,) = db.session.scalars(
        sa.select(Assignment).where(Assignment.decision_id == campaign.decision_id)
    ).all()
    assert assignment.status == "reported"
    # Nobody reaches the automatic acceptance from outside the rule.
    with pytest.raises(assignments.NotAllowed):
        assignments.transition(db.session, assignment, "cancel", None, automatic=True, via="x")
    with pytest.raises(assignments.NotAllowed):
        assignments.transition(db.session, assignment, "accept", world.director, automatic=True)
    db.session.rollback()
