"""The road-map overview tells the truth: one row per school with its current map (approved,
or the latest under review), never several maps pooled; schools that owe one and have none
are listed as «нет карты»."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.factories import make_meeting, make_org, make_user
from tests.test_roadmaps import ROWS, new_map
from tracker.core import clock
from tracker.extensions import db
from tracker.roadmaps import queries, services
from tracker.roadmaps.services import ActionRow


@pytest.fixture
def frozen():
    clock.freeze(datetime(2023, 2, 10, 9, tzinfo=UTC))
    yield
    clock.freeze(None)


def test_one_row_per_school_and_the_schools_without_a_map(world, client_for, frozen):
    third = make_org("school", "МОУ «Средняя школа № 10»", world.dept)
    make_user("dir10@test.ru", third, "director")
    _m, decision = make_meeting(
        world,
        schools=[world.school, world.sibling, third],
        deadline="в срок до 27.02.2023",
    )
    asked = {a.organization_id: a for a in decision.assignments}
    # School № 3: an approved map with one action of three done, and a newer one under review.
    approved = new_map(world, asked[world.school.id])
    services.transition(db.session, approved, "submit", world.director)
    services.transition(db.session, approved, "approve", world.staff)
    leaf = next(a for a in approved.actions if a.number == "1.1")
    services.mark_action(
        db.session, leaf, world.director, "done", completed_on=date(2023, 2, 9), evidence="Приказ"
    )
    newer = new_map(world, rows=[ActionRow(number="1", text="Новое", deadline_text="постоянно")])
    services.transition(db.session, newer, "submit", world.director)
    # School № 6: a draft and, later, one under review.
    sibling_map = services.create_road_map(
        db.session, world.sibling_director, world.sibling, "Черновик", assignment=None
    )
    second = services.create_road_map(
        db.session, world.sibling_director, world.sibling, "На согласовании", assignment=None
    )
    services.save_actions(db.session, second, world.sibling_director, list(ROWS))
    services.transition(db.session, second, "submit", world.sibling_director)
    db.session.commit()

    rows = queries.overview(db.session, world.staff, queries.ListFilter())
    schools = queries.current_by_school(db.session, world.staff, queries.ListFilter(), rows)
    current = {s.organization.id: (s.current.road_map.id if s.current else None) for s in schools}
    assert current == {world.school.id: approved.id, world.sibling.id: second.id, third.id: None}
    assert {s.organization.id: s.others for s in schools}[world.school.id] == 1
    # The chart shows each school's current map only: 1 of 3 actions, not 1 of 4 pooled.
    bars = {b.organization.id: (b.done, b.total) for b in queries.by_school(schools)}
    assert bars == {world.school.id: (1, 3), world.sibling.id: (0, 3)}

    html = client_for(world.staff).get("/roadmaps").get_data(as_text=True)
    assert html.count("data-road-map=") == 2 and f'data-no-map="{third.id}"' in html
    assert "нет карты" in html and f'data-any-map="{sibling_map.id}"' in html
    # Filtering by a map's state lists maps, not the schools without one.
    filtered = client_for(world.staff).get("/roadmaps?status=submitted").get_data(as_text=True)
    assert "data-no-map" not in filtered and f'data-road-map="{second.id}"' in filtered
    # A director sees their school's row only.
    own = client_for(world.director).get("/roadmaps").get_data(as_text=True)
    assert own.count("data-org=") == 1 and "Средняя школа № 6" not in own
