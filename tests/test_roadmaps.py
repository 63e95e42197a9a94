"""Road maps: the plan, approval through one transition function, versions, execution, progress."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.core import clock
from tracker.extensions import db
from tracker.notify.models import OutboxMessage
from tracker.roadmaps import progress, services, versions
from tracker.roadmaps.models import RoadMap, RoadMapAction
from tracker.roadmaps.services import ActionRow

FEB_10 = datetime(2023, 2, 10, 9, 0, tzinfo=UTC)

ROWS = [
    ActionRow(number="1", text="Организационные мероприятия"),
    ActionRow(
        number="1.1",
        level=1,
        text="Создать рабочую группу",
        deadline_text="в срок до 21.02.2023",
        responsible="Директор",
    ),
    ActionRow(
        number="1.2",
        level=1,
        text="Провести самодиагностику",
        deadline_text="март 2023 года",
        responsible="Заместитель директора",
        expected_result="Справка",
    ),
    ActionRow(number="2", text="Мониторинг реализации", deadline_text="постоянно"),
]


@pytest.fixture
def frozen():
    clock.freeze(FEB_10)
    yield
    clock.freeze(None)


@pytest.fixture
def assignment(world):
    _meeting, decision = make_meeting(world, deadline="в срок до 21.02.2023")
    return next(a for a in decision.assignments if a.organization_id == world.school.id)


def new_map(world, assignment=None, rows=ROWS) -> RoadMap:
    road_map = services.create_road_map(
        db.session,
        world.director,
        world.school,
        "Дорожная карта перехода в эффективный режим",
        assignment=assignment,
    )
    services.save_actions(
        db.session, road_map, world.director, [ActionRow(**r.__dict__) for r in rows]
    )
    db.session.commit()
    return road_map


def test_the_table_of_moves_is_as_designed():
    table = {
        (source, name): move.target
        for name, move in services.MOVES.items()
        for source in move.sources
    }
    assert table == {
        ("draft", "submit"): "submitted",
        ("returned", "submit"): "submitted",
        ("submitted", "return"): "returned",
        ("submitted", "approve"): "approved",
        ("approved", "revise"): "draft",
    }
    assert {name: m.permission for name, m in services.MOVES.items()} == {
        "submit": "roadmap.submit",
        "return": "roadmap.approve",
        "approve": "roadmap.approve",
        "revise": "roadmap.edit",
    }


def test_the_plan_keeps_order_levels_and_parsed_deadlines(world, frozen):
    road_map = new_map(world)
    actions = road_map.actions
    assert [a.number for a in actions] == ["1", "1.1", "1.2", "2"]
    assert actions[1].parent_id == actions[0].id and actions[3].parent_id is None
    assert versions.levels(road_map) == {
        actions[0].id: 0,
        actions[1].id: 1,
        actions[2].id: 1,
        actions[3].id: 0,
    }
    assert actions[1].due_date == date(2023, 2, 21) and actions[1].deadline_kind == "date"
    assert actions[2].due_date == date(2023, 3, 31) and actions[2].deadline_kind == "month"
    assert actions[3].deadline_kind == "ongoing"


def test_a_bad_deadline_refuses_the_table_and_changes_nothing(world, frozen):
    road_map = new_map(world)
    rows = services.current_rows(road_map)
    rows[1].deadline_text = "когда-нибудь потом"
    rows.append(ActionRow(text=""))
    with pytest.raises(services.RoadMapError) as error:
        services.save_actions(db.session, road_map, world.director, rows)
    db.session.rollback()
    assert set(error.value.rows) == {2, 5}
    assert "Строка 2" in str(error.value)
    assert db.session.get(RoadMapAction, rows[1].id).deadline_text == "в срок до 21.02.2023"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoadMapAction)) == 4


def test_a_foreign_action_id_is_refused(world, frozen):
    road_map = new_map(world)
    other = services.create_road_map(db.session, world.sibling_director, world.sibling, "Чужая")
    services.save_actions(db.session, other, world.sibling_director, [ActionRow(text="чужое")])
    foreign = other.actions[0].id
    with pytest.raises(services.RoadMapError):
        services.save_actions(
            db.session, road_map, world.director, [ActionRow(id=foreign, text="захват")]
        )


def test_submit_return_resubmit_approve_closes_the_assignment_on_time(world, assignment, frozen):
    road_map = new_map(world, assignment)
    services.transition(db.session, road_map, "submit", world.director)
    db.session.commit()
    assert road_map.status == "submitted" and assignment.status == "reported"
    assert [v.number for v in road_map.versions] == [1]
    target = road_map.actions[2]
    with pytest.raises(services.RoadMapError, match="что исправить"):
        services.transition(db.session, road_map, "return", world.staff)
    services.transition(
        db.session,
        road_map,
        "return",
        world.staff,
        action_comments={target.id: "Уточните срок: самодиагностика до конца февраля"},
    )
    db.session.commit()
    assert road_map.status == "returned" and assignment.status == "returned"
    assert road_map.versions[0].action_comments == {
        str(target.id): "Уточните срок: самодиагностика до конца февраля"
    }
    rows = services.current_rows(road_map)
    rows[2].deadline_text = "в срок до 28.02.2023"
    rows.append(
        ActionRow(number="3", text="Отчёт на совещании", deadline_text="в срок до 20.12.2023")
    )
    services.save_actions(db.session, road_map, world.director, rows)
    services.transition(db.session, road_map, "submit", world.director)
    db.session.commit()
    changes = {row.change for row in versions.review_diff(road_map)}
    assert changes == {"same", "changed", "added"}
    changed = next(r for r in versions.review_diff(road_map) if r.change == "changed")
    assert changed.fields == ["deadline_text"] and changed.new["id"] == target.id
    services.transition(db.session, road_map, "approve", world.staff, comment="Согласовано")
    db.session.commit()
    assert road_map.status == "approved" and road_map.approved_by_id == world.staff.id
    assert assignment.status == "done" and assignment.on_time is True
    assert [v.state for v in road_map.versions] == ["returned", "approved"]


def test_the_director_cannot_approve_their_own_map_nor_staff_of_another_department(world, frozen):
    road_map = new_map(world)
    services.transition(db.session, road_map, "submit", world.director)
    for user in (world.director, world.school_staff, world.other_staff, world.sibling_director):
        assert not services.may(user, "approve", road_map)
        with pytest.raises(services.NotAllowed):
            services.transition(db.session, road_map, "approve", user)
    assert services.may(world.staff, "approve", road_map)
    assert not services.may(world.school_staff, "submit", road_map)


def test_wrong_state_moves_are_refused(world, frozen):
    road_map = new_map(world)
    with pytest.raises(services.RoadMapError, match="черновик"):
        services.transition(db.session, road_map, "approve", world.staff)
    empty = services.create_road_map(db.session, world.director, world.school, "Пустая")
    with pytest.raises(services.RoadMapError, match="хотя бы одно"):
        services.transition(db.session, empty, "submit", world.director)


def test_imported_rows_with_bad_deadlines_block_submission_until_fixed(world, frozen):
    road_map = new_map(world)
    rows = [
        *services.current_rows(road_map),
        ActionRow(text="Из файла", deadline_text="когда-нибудь"),
    ]
    services.save_actions(db.session, road_map, world.director, rows, strict=False)
    assert len(services.action_problems(road_map)) == 1
    with pytest.raises(services.RoadMapError, match="Исправьте"):
        services.transition(db.session, road_map, "submit", world.director)


def approved_map(world, assignment=None) -> RoadMap:
    road_map = new_map(world, assignment)
    services.transition(db.session, road_map, "submit", world.director)
    services.transition(db.session, road_map, "approve", world.staff)
    db.session.commit()
    return road_map


def test_marking_done_needs_a_date_and_evidence_and_counts_in_progress(world, frozen):
    road_map = approved_map(world)
    first, second = road_map.actions[1], road_map.actions[2]
    with pytest.raises(services.RoadMapError, match="подтверждение"):
        services.mark_action(
            db.session, first, world.director, "done", completed_on=date(2023, 2, 9)
        )
    with pytest.raises(services.RoadMapError, match="будущем"):
        services.mark_action(
            db.session, first, world.director, "done", completed_on=date(2023, 3, 1), evidence="x"
        )
    services.mark_action(
        db.session,
        first,
        world.school_staff,
        "done",
        completed_on=date(2023, 2, 9),
        evidence="Приказ № 12 от 09.02.2023",
    )
    db.session.commit()
    p = progress.progress(db.session, road_map)
    # the section «1» has sub-actions, so it does not count itself
    assert (p.total, p.done, p.on_time, p.overdue, p.percent) == (3, 1, 1, 0, 33)
    clock.freeze(datetime(2023, 4, 3, 9, 0, tzinfo=UTC))
    p = progress.progress(db.session, road_map)
    assert p.overdue == 1  # «март 2023 года» has passed
    services.mark_action(
        db.session,
        second,
        world.director,
        "done",
        completed_on=date(2023, 4, 2),
        evidence="Справка",
    )
    p = progress.progress(db.session, road_map)
    assert (p.done, p.on_time, p.overdue) == (2, 1, 0)
    with pytest.raises(services.NotAllowed):
        services.mark_action(
            db.session,
            second,
            world.sibling_director,
            "done",
            completed_on=date(2023, 4, 2),
            evidence="x",
        )


def test_changing_an_approved_map_goes_through_approval_again(world, frozen):
    road_map = approved_map(world)
    with pytest.raises(services.NotAllowed):
        services.save_actions(db.session, road_map, world.director, services.current_rows(road_map))
    services.transition(db.session, road_map, "revise", world.director)
    rows = services.current_rows(road_map)
    dropped_id = rows[3].id
    rows[1].deadline_text = "в срок до 28.02.2023"
    del rows[3]  # left out: an approved action is kept as «исключено»
    services.save_actions(db.session, road_map, world.director, rows)
    services.transition(db.session, road_map, "submit", world.director)
    db.session.commit()
    assert db.session.get(RoadMapAction, dropped_id).status == "dropped"
    diff = {row.change for row in versions.review_diff(road_map)}
    assert diff == {"same", "changed", "removed"}
    assert len(road_map.versions) == 2
    assert progress.progress(db.session, road_map).total == 2


def test_moves_mail_the_right_people(world, frozen):
    road_map = new_map(world)
    services.transition(db.session, road_map, "submit", world.director)
    services.transition(db.session, road_map, "return", world.staff, comment="Добавьте сроки")
    db.session.commit()
    mail = {(m.kind, m.recipient_email) for m in db.session.scalars(sa.select(OutboxMessage))}
    assert ("roadmap.submitted", "staff@test.ru") in mail
    assert ("roadmap.returned", "director@test.ru") in mail
    assert not any(email in ("rayon@test.ru", "dir6@test.ru") for _kind, email in mail)


def test_action_reminders_reach_the_school_through_the_sweep(world):
    from tracker.notify.reminders import sweep

    clock.freeze(FEB_10)
    try:
        road_map = approved_map(world)
        db.session.execute(sa.delete(OutboxMessage))
        moment = datetime(2023, 2, 20, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, a day before 21.02
        first = sweep(db.session, moment)
        db.session.commit()
        rows = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "roadmap.reminder")
        ).all()
        assert first.by_kind["roadmap"] == 1 and len(rows) == 1
        assert rows[0].recipient_email == "director@test.ru"
        assert rows[0].road_map_action_id == road_map.actions[1].id
        assert "Создать рабочую группу" in rows[0].body_text
        assert sweep(db.session, moment).by_kind["roadmap"] == 0  # once
        # done before delivery: the reminder no longer applies
        from tracker.notify.delivery import no_longer_applies

        services.mark_action(
            db.session,
            road_map.actions[1],
            world.director,
            "done",
            completed_on=date(2023, 2, 10),
            evidence="Приказ",
        )
        assert no_longer_applies(rows[0]) == "мероприятие выполнено или исключено"
    finally:
        clock.freeze(None)


def test_a_named_responsible_person_gets_the_action_reminder(world):
    from tracker.notify.reminders import sweep

    clock.freeze(FEB_10)
    try:
        rows = [ActionRow(**r.__dict__) for r in ROWS]
        rows[1].responsible = "Заместитель директора Завуч Школы Три"
        rows[2].responsible = "Директор Школы Шесть"  # of another school: not matched
        road_map = new_map(world, rows=rows)
        assert road_map.actions[1].responsible_user_id == world.school_staff.id
        assert road_map.actions[2].responsible_user_id is None
        services.transition(db.session, road_map, "submit", world.director)
        services.transition(db.session, road_map, "approve", world.staff)
        db.session.execute(sa.delete(OutboxMessage))
        sweep(db.session, datetime(2023, 2, 20, 7, 0, tzinfo=UTC))
        db.session.commit()
        (row,) = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "roadmap.reminder")
        ).all()
        assert row.recipient_email == "zavuch@test.ru"
    finally:
        clock.freeze(None)
