"""Bulk actions on ticked rows: each row through its one function, audited per assignment, in
one transaction; a batch with any row the user may not act on is refused whole, in Russian."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.assignments import services
from tracker.assignments.models import Assignment, ExtensionRequest
from tracker.core import clock
from tracker.core.models import AuditLog
from tracker.extensions import db


@pytest.fixture
def reported(world):
    """Four assignments of two meetings, each with a report waiting for the controller."""
    clock.freeze(datetime(2023, 2, 20, 9, tzinfo=UTC))
    rows = []
    for _ in range(2):
        _meeting, decision = make_meeting(world)
        for a in decision.assignments:
            who = world.director if a.organization_id == world.school.id else world.sibling_director
            services.submit_report(db.session, a, who, "Программа утверждена приказом")
            rows.append(a)
    db.session.commit()
    return rows


def states() -> dict[int, str]:
    return dict(db.session.execute(sa.select(Assignment.id, Assignment.status)).all())


def audits(action: str) -> list[int]:
    return list(db.session.scalars(sa.select(AuditLog.object_id).where(AuditLog.action == action)))


def post(client, ids, action, **extra):
    data = {"ids": [str(i) for i in ids], "action": action, "next": "/board?tab=open", **extra}
    return client.post("/bulk", data, follow_redirects=True)


def test_bulk_accept_is_audited_per_assignment(world, client_for, reported):
    response = post(client_for(world.staff), [a.id for a in reported], "accept")
    assert response.status_code == 200
    assert "«принять отчёты» — поручений: 4" in response.get_data(as_text=True)
    assert set(states().values()) == {"done"}
    assert sorted(audits("assignment.accept")) == sorted(a.id for a in reported)


def test_a_foreign_row_refuses_the_whole_batch(world, client_for, reported):
    _m, foreign = make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    foreign_id = foreign.assignments[0].id
    before = states()
    response = post(client_for(world.staff), [reported[0].id, foreign_id], "accept")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ничего не изменено" in html and f"№ {foreign_id}: поручение не найдено" in html
    assert states() == before and audits("assignment.accept") == []
    denied = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied"))
    assert [d.details.get("target_id") for d in denied] == [foreign_id]


def test_a_director_cannot_accept_in_bulk(world, client_for, reported):
    before = states()
    response = post(client_for(world.director), [reported[0].id], "accept")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "п. 2 — МОУ «Средняя школа № 3»: нет права на это действие" in html.replace(
        "&#34;", '"'
    ).replace("&laquo;", "«")
    assert states() == before


def test_a_row_in_the_wrong_state_is_named_and_nothing_changes(world, client_for, reported):
    services.transition(db.session, reported[1], "accept", world.staff)
    db.session.commit()
    before = states()
    html = post(client_for(world.staff), [a.id for a in reported], "accept").get_data(as_text=True)
    assert "Ничего не изменено" in html and "Нет отчёта, ожидающего проверки" not in html
    assert "«исполнено»" in html
    assert states() == before and audits("assignment.accept") == [reported[1].id]


def test_bulk_return_needs_one_comment_for_all(world, client_for, reported):
    staff = client_for(world.staff)
    ids = [a.id for a in reported[:2]]
    assert "Напишите комментарий" in post(staff, ids, "return").get_data(as_text=True)
    assert set(states().values()) == {"reported"}
    post(staff, ids, "return", comment="Приложите приказ")
    assert [states()[i] for i in ids] == ["returned", "returned"]
    comments = {
        r.review_comment for a in reported[:2] for r in db.session.get(Assignment, a.id).reports
    }
    assert comments == {"Приложите приказ"}


def test_bulk_extensions_and_deadline_moves(world, client_for):
    clock.freeze(datetime(2023, 2, 20, 9, tzinfo=UTC))
    _m, decision = make_meeting(world)
    a, b = sorted(decision.assignments, key=lambda x: x.organization_id)
    services.request_extension(db.session, a, world.director, "Болезнь", date(2023, 3, 15))
    services.request_extension(db.session, b, world.sibling_director, "Ремонт", date(2023, 3, 20))
    db.session.commit()
    staff = client_for(world.staff)
    post(staff, [a.id, b.id], "grant", comment="Согласовано")
    assert {e.state for e in db.session.scalars(sa.select(ExtensionRequest))} == {"granted"}
    assert [db.session.get(Assignment, i).due_date for i in (a.id, b.id)] == [
        date(2023, 3, 15),
        date(2023, 3, 20),
    ]
    # Refusing where nobody asked names the row and changes nothing.
    html = post(staff, [a.id], "refuse").get_data(as_text=True)
    assert "нет просьбы о переносе срока" in html
    # Moving the deadline: a date is needed; the protocol's deadline stays.
    assert "Укажите новый срок" in post(staff, [a.id, b.id], "move_deadline").get_data(as_text=True)
    post(staff, [a.id, b.id], "move_deadline", new_date="2023-04-10")
    moved = [db.session.get(Assignment, i) for i in (a.id, b.id)]
    assert [(m.due_date, m.original_due_date) for m in moved] == [
        (date(2023, 4, 10), date(2023, 2, 27)),
    ] * 2
    assert sorted(audits("assignment.deadline_moved")) == sorted([a.id, b.id])
    html = post(staff, [a.id], "move_deadline", new_date="2031-01-01").get_data(as_text=True)
    assert "трёх лет вперёд" in html
    post(staff, [a.id, b.id], "cancel", comment="Решение утратило силу")
    assert set(states().values()) == {"cancelled"}


@pytest.mark.parametrize(
    "data",
    [
        {"action": "accept"},
        {"ids": ["x", "-1"], "action": "accept"},
        {"ids": ["1"], "action": "drop_table"},
        {"ids": ["1"], "action": "move_deadline", "new_date": "31.02.2023"},
        {"ids": ["1"] * 501, "action": "accept"},
    ],
)
def test_bad_bulk_input_is_a_message_not_an_error(world, client_for, data):
    response = client_for(world.staff).post("/bulk", data, follow_redirects=True)
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)


def test_bulk_goes_back_only_to_this_site(world, client_for, reported):
    staff = client_for(world.staff)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = staff.post(
            "/bulk", {"ids": [str(reported[0].id)], "action": "accept", "next": target}
        )
        assert response.headers["Location"].endswith("/board")
