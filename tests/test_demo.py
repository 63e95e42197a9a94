"""`flask demo load`: the world of the five documents, idempotent, on both databases."""

import sqlalchemy as sa

from tracker.assignments.models import Assignment
from tracker.core.permissions import visible_to
from tracker.core.tenancy import Organization, User
from tracker.demo.loader import DEMO_PASSWORD
from tracker.extensions import db
from tracker.meetings.models import Decision, Meeting


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def load(app) -> str:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_load(app, ctx, client_for):
    """One load (it is slow) checked from every side, then a second that adds nothing."""
    output = load(app)
    assert "director.sch3@petrozavodsk.demo.test" in output and DEMO_PASSWORD in output
    world_matches_the_documents()
    director_sees_only_their_school(client_for)
    road_maps_answer_point_4()
    cycle_reproduces_seed_003()
    first = row_counts()  # after the checks: a login writes to the audit log
    # The four documents' meetings and one demo meeting of the current period.
    assert first["organizations"] > 40 and first["meetings"] == 5
    second_output = load(app)
    assert "Добавлено — ничего" in second_output
    assert row_counts() == first


def world_matches_the_documents():
    names = set(db.session.scalars(sa.select(Organization.short_name)))
    for expected in [
        "МОУ «Средняя школа № 3»",
        "МОУ «Средняя школа № 55»",  # seed 001
        "МБДОУ детский сад № 4 «Ласточка»",  # seed 003
    ]:
        assert expected in names
    ptz = db.session.scalar(sa.select(Meeting).where(Meeting.key == "ptz-2023-01-31"))
    point2 = db.session.scalar(
        sa.select(Decision).where(Decision.meeting_id == ptz.id, Decision.number == "2")
    )
    assert "антирисковую программу" in point2.text
    assert (point2.deadline_text, point2.deadline_kind, str(point2.due_date)) == (
        "в срок до 27.02.2023",
        "date",
        "2023-02-27",
    )
    assert len(point2.assignments) == 15
    # The reader's rule: «1.1. Принять к сведению информацию» is kept but nobody reports on it,
    # «1.2. Осуществлять в системе: – … – …» is one assignment per school, not one per dash.
    decisions = {d.number: d for d in ptz.decisions}
    assert decisions["1.1"].needs_report is False and decisions["1.1"].assignments == []
    assert len(decisions["1.2"].assignments) == 15 and "– сопоставление" in decisions["1.2"].text
    assert None not in decisions  # no dash left as a decision of its own
    total = sum(len(d.assignments) for d in ptz.decisions)
    assert total == 8 * 15  # 1.2, 1.3, 1.3.1, 1.4, 2, 3, 4, 5 (225 before, 15 of them «1.1»)
    assert_demo_follows_the_reader(ptz)
    krh = db.session.scalar(sa.select(Meeting).where(Meeting.key == "krh-2023-12-22"))
    words = {d.deadline_text: (d.deadline_kind, d.due_date) for d in krh.decisions}
    assert words["Срок: январь 2024 года"][0] == "month"
    assert str(words["Срок: январь 2024 года"][1]) == "2024-01-31"
    assert words["Срок: постоянно"] == ("ongoing", None)


def assert_demo_follows_the_reader(meeting):
    """The demo meeting of seed 001 has the decisions the reader makes of the seed's text."""
    from pathlib import Path

    from tracker.protocols.reader import read_protocol

    seed = Path(__file__).parent / "fixtures" / "seeds" / "001_petrozavodsk_protocol_2023-01-31.txt"
    read = read_protocol(seed.read_text(encoding="utf-8"))["decisions"]
    assert [(d["number"], d["needs_report"]) for d in read] == [
        (d.number, d.needs_report) for d in meeting.decisions
    ]


def director_sees_only_their_school(client_for):
    director = db.session.scalar(
        sa.select(User).where(User.email == "director.sch3@petrozavodsk.demo.test")
    )
    client = client_for()
    response = client.post("/auth/login", {"email": director.email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "МОУ «Средняя школа № 3»" in home
    for foreign in ("МОУ «Средняя школа № 6»", "Краснохолм", "Заречный", "Лихославль"):
        assert foreign not in home, foreign
    visible = db.session.scalars(
        sa.select(Assignment.organization_id).where(visible_to(director, Assignment))
    ).all()
    assert visible and set(visible) == {director.memberships[0].organization_id}


def road_maps_answer_point_4():
    from tracker.roadmaps.models import RoadMap
    from tracker.roadmaps.progress import progress as road_map_progress

    maps = {m.organization.short_name: m for m in db.session.scalars(sa.select(RoadMap)).all()}
    assert {name: m.status for name, m in maps.items()} == {
        "МОУ «Средняя школа № 3»": "approved",
        "МОУ «Средняя школа № 6»": "approved",
        "МОУ «Средняя школа № 10»": "approved",
        "МОУ «Средняя школа № 7»": "submitted",
        "МОУ «Средняя школа № 20»": "draft",
    }
    sch3 = maps["МОУ «Средняя школа № 3»"]
    assert [v.state for v in sch3.versions] == ["returned", "approved"]
    assert sch3.assignment.decision.number == "4"
    assert sch3.assignment.status == "done" and sch3.assignment.on_time is True
    assert maps["МОУ «Средняя школа № 10»"].assignment.on_time is False
    progress = road_map_progress(db.session, sch3)
    assert (progress.total, progress.done, progress.percent) == (12, 9, 75)


def cycle_reproduces_seed_003():
    from tracker.cycle.board import cycle_board
    from tracker.cycle.queries import score_table

    department = db.session.scalar(sa.select(Organization).where(Organization.key == "krh-oo"))
    staff = db.session.scalar(
        sa.select(User).where(User.email == "shaderkova@krasny-kholm.demo.test")
    )
    table = score_table(db.session, staff, department, "MUM")
    assert [table.percents[p] for p in table.periods] == [66, 37]
    assert table.change == -29
    board = cycle_board(db.session, staff, department, 2023)
    talents = next(
        r
        for r in board
        if r.direction.framework == "MUM" and r.direction.name.startswith("Система выявления")
    )
    assert talents.cells["monitoring"].done, talents
    assert talents.cells["analysis"].done, talents
