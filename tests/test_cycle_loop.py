"""The cycle without detours: a goal before its indicators (or with them written inline),
directions named in Russian, numbers with the reader's decimal separator."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.cycle import values
from tracker.cycle.models import Direction, Goal, Indicator
from tracker.extensions import db


def direction(framework: str = "VSOKO") -> Direction:
    item = Direction(framework=framework, name="Система оценки качества подготовки", position=1)
    db.session.add(item)
    db.session.commit()
    return item


def test_a_goal_before_its_indicators_and_with_indicators_inline(world, client_for):
    vsoko = direction()
    staff = client_for(world.staff)
    base = {"organization_id": str(world.dept.id), "direction_id": str(vsoko.id)}
    first = staff.post("/cycle/goals/new", {**base, "statement": "Снизить долю неуспевающих"})
    assert first.status_code == 302
    goal = db.session.scalars(sa.select(Goal)).one()
    assert goal.indicators == []
    inline = {
        **base,
        "statement": "Повысить объективность ВПР",
        "new_indicators": "ВСОКО-7 Доля ОО с необъективными результатами\n\nВСОКО-8 Доля ОО",
    }
    assert staff.post("/cycle/goals/new", inline).status_code == 302
    db.session.rollback()
    second = db.session.scalars(sa.select(Goal).where(Goal.id != goal.id)).one()
    assert sorted(i.code for i in second.indicators) == ["ВСОКО-7", "ВСОКО-8"]
    assert {i.direction_id for i in second.indicators} == {vsoko.id}
    # A line without a name is refused in Russian and nothing is created.
    bad = staff.post("/cycle/goals/new", {**inline, "new_indicators": "ВСОКО-9"})
    assert bad.status_code == 200 and "Строка 1: напишите код" in bad.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Goal.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(Indicator.id))) == 2


def test_directions_are_named_in_russian(world, client_for):
    vsoko, mum = direction("VSOKO"), direction("MUM")
    make_meeting(world)
    page = client_for(world.staff).get("/board").get_data(as_text=True)
    assert f'<option value="{vsoko.id}">ВСОКО: ' in page
    assert f'<option value="{mum.id}">МУМ: ' in page
    assert "VSOKO" not in page and "MUM:" not in page
    roadmaps = client_for(world.staff).get("/roadmaps").get_data(as_text=True)
    assert "ВСОКО: " in roadmaps and "VSOKO" not in roadmaps


def test_numbers_use_the_readers_decimal_separator(app):
    with app.test_request_context("/"):
        assert values.plain(Decimal("12.500")) == "12,5"
        assert app.jinja_env.filters["decimal"](1536 / 1024, 1) == "1,5"
    with app.test_request_context("/?lang=en"):
        from flask_babel import refresh

        refresh()
        assert values.plain(Decimal("12.500")) == "12.5"
    assert values.plain(Decimal("3")) == "3"
