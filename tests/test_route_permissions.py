"""Every page, export, feed and API route of execution control, for every role, on an object of
their own organization and on one of another: the same table drives all of them."""

import itertools
from datetime import date

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.assignments import services
from tracker.auth.services import create_api_token
from tracker.core.models import AuditLog
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings


@pytest.fixture
def world(shared_world):
    """Each test only adds to the world, in its own rolled-back transaction: one per module."""
    return shared_world


ROLES = ("admin", "staff", "director", "school_staff", "sibling_director", "other_staff")
OK, DENIED, HIDDEN = "ok", 403, 404

# route → (method, url, form data or JSON, expected for "own" per role, for "other" per role)
# own = the department's meeting and the assignment of school № 3; other = another department's.
VIEW = {
    "admin": OK,
    "staff": OK,
    "director": OK,
    "school_staff": OK,
    "sibling_director": HIDDEN,
    "other_staff": HIDDEN,
}
VIEW_OTHER = dict.fromkeys(ROLES, HIDDEN) | {"admin": OK, "other_staff": OK}
# The meeting also addresses school № 6, so its director sees the meeting (with only their item).
MEETING_VIEW = VIEW | {"sibling_director": OK}
MANAGE = dict.fromkeys(ROLES, HIDDEN) | {"staff": OK}
MANAGE_OTHER = dict.fromkeys(ROLES, HIDDEN) | {"other_staff": OK}
REPORT = VIEW | {"admin": DENIED, "staff": DENIED}
REPORT_OTHER = VIEW_OTHER | {"admin": DENIED, "other_staff": DENIED}
CONTROL = VIEW | {"admin": DENIED, "director": DENIED, "school_staff": DENIED}
CONTROL_OTHER = VIEW_OTHER | {"admin": DENIED}

ROUTES = {
    "meeting page": ("GET", "/meetings/{meeting}", None, MEETING_VIEW, VIEW_OTHER),
    "meeting edit": ("GET", "/meetings/{meeting}/edit", None, MANAGE, MANAGE_OTHER),
    "decision new": ("GET", "/meetings/{meeting}/decisions/new", None, MANAGE, MANAGE_OTHER),
    "protocol docx": ("GET", "/meetings/{meeting}/protocol.docx", None, MANAGE, MANAGE_OTHER),
    "extract docx": ("GET", "/meetings/{meeting}/extract/{org}.docx", None, VIEW, VIEW_OTHER),
    "assignment page": ("GET", "/assignments/{assignment}", None, VIEW, VIEW_OTHER),
    "organization page": ("GET", "/organizations/{org}", None, VIEW, VIEW_OTHER),
    "report": (
        "POST",
        "/assignments/{assignment}/report",
        {"text": "Готово"},
        REPORT,
        REPORT_OTHER,
    ),
    "extension": (
        "POST",
        "/assignments/{fresh}/extension",
        {"proposed_date": "2023-03-15", "reason": "Педсовет"},
        REPORT,
        REPORT_OTHER,
    ),
    "cancel": (
        "POST",
        "/assignments/{assignment}/move/cancel",
        {"comment": "Снято"},
        CONTROL,
        CONTROL_OTHER,
    ),
    "comment": ("POST", "/assignments/{assignment}/comment", {"body": "Вопрос"}, VIEW, VIEW_OTHER),
    "api assignment": ("API", "/api/v1/assignments/{assignment}", None, VIEW, VIEW_OTHER),
    "api meeting": ("API", "/api/v1/meetings/{meeting}", None, MEETING_VIEW, VIEW_OTHER),
    "api report": (
        "API-POST",
        "/api/v1/assignments/{assignment}/report",
        {"text": "Готово"},
        REPORT,
        REPORT_OTHER,
    ),
    "api extension": (
        "API-POST",
        "/api/v1/assignments/{fresh}/extension",
        {"proposed_date": "2023-03-15", "reason": "Педсовет"},
        REPORT,
        REPORT_OTHER,
    ),
    "api accept": ("API-POST", "/api/v1/assignments/{reported}/accept", {}, CONTROL, CONTROL_OTHER),
    "api return": (
        "API-POST",
        "/api/v1/assignments/{reported}/return",
        {"comment": "Дополните"},
        CONTROL,
        CONTROL_OTHER,
    ),
    "accept": ("POST", "/assignments/{reported}/move/accept", {}, CONTROL, CONTROL_OTHER),
    "extension decision": (
        "POST",
        "/extensions/{extension}/grant",
        {"comment": "Да"},
        CONTROL,
        CONTROL_OTHER,
    ),
    "decision edit": (
        "GET",
        "/meetings/{meeting}/decisions/{decision}/edit",
        None,
        MANAGE,
        MANAGE_OTHER,
    ),
    "api decision create": (
        "API-POST",
        "/api/v1/meetings/{meeting}/decisions",
        {"text": "Новый пункт", "deadline": "до 1 марта 2023 г."},
        MANAGE,
        MANAGE_OTHER,
    ),
}


def objects(world, where):
    if where == "own":
        meeting, decision = make_meeting(world)
        org = world.school
    else:
        meeting, decision = make_meeting(world, dept=world.other_dept, schools=[world.other_school])
        org = world.other_school
    assignment = next(a for a in decision.assignments if a.organization_id == org.id)
    # For the controller's routes: the organization's assignment of a second decision with a
    # report waiting, and a request to move the first one's deadline.
    director = world.director if where == "own" else world.other_director
    second = meetings.add_decision(
        db.session,
        meeting,
        number="3",
        text="Представить отчёт",
        deadline_text="до 1 марта 2023 г.",
        actor=system_actor(db.session),
    )
    (reported,) = meetings.fan_out(db.session, second, [org], actor=system_actor(db.session))
    services.submit_report(db.session, reported, director, "Готово")
    extension = services.request_extension(
        db.session, assignment, director, "Педсовет", date(2023, 3, 15)
    )
    third = meetings.add_decision(
        db.session,
        meeting,
        number="4",
        text="Провести педсовет",
        deadline_text="до 1 марта 2023 г.",
        actor=system_actor(db.session),
    )
    (fresh,) = meetings.fan_out(db.session, third, [org], actor=system_actor(db.session))
    db.session.commit()
    return {
        "fresh": fresh.id,
        "meeting": meeting.id,
        "assignment": assignment.id,
        "org": org.id,
        "reported": reported.id,
        "extension": extension.id,
        "decision": decision.id,
    }


def outcome(status: int) -> object:
    if status in (200, 201, 302):
        return OK
    return status


def check_table(world, client_for, table, route, where, build) -> None:
    """Call the route as every role and compare with the table. Reading changes nothing, so one
    set of objects serves every role; a write gets fresh objects for each, so one role's change
    does not decide the next one's fate."""
    method, template, data, own, other = table[route]
    expected = own if where == "own" else other
    shared = build(world, where) if method in ("GET", "API") else None
    wrong = []
    for role in ROLES:
        ids = shared or build(world, where)
        url = template.format(**ids)
        user = world.user(role)
        client = client_for(user)
        if method.startswith("API"):
            token = create_api_token(db.session, user, "t")
            db.session.commit()
            headers = {"Authorization": f"Bearer {token}"}
            verb = {"API": "GET", "API-POST": "POST", "API-PUT": "PUT"}[method]
            response = client.open(url, method=verb, json=data, headers=headers)
        elif method == "GET":
            response = client.get(url)
        else:
            form = {key.format(**ids): value for key, value in (data or {}).items()}
            response = client.post(url, form)
        got = outcome(response.status_code)
        if got != expected[role]:
            wrong.append(f"{role}: expected {expected[role]}, got {response.status_code}")
    assert not wrong, f"{route} on {where}: " + "; ".join(wrong)


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_table(world, client_for, route, where):
    check_table(world, client_for, ROUTES, route, where, objects)


def test_refusals_are_audited(world, client_for):
    ids = objects(world, "other")
    client_for(world.director).get(f"/assignments/{ids['assignment']}")
    client_for(world.director).post(f"/assignments/{ids['assignment']}/report", {"text": "x"})
    db.session.rollback()
    rows = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "access.denied")).all()
    assert [r.details["path"] for r in rows] == [
        f"/assignments/{ids['assignment']}",
        f"/assignments/{ids['assignment']}/report",
    ]
    assert {r.actor_id for r in rows} == {world.director.id}


@pytest.mark.parametrize("role", ROLES)
def test_board_and_its_export_are_for_staff(world, client_for, role):
    make_meeting(world)
    make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    client = client_for(world.user(role))
    board = client.get("/board")
    export = client.get("/board.xlsx")
    if role in ("staff", "other_staff"):
        assert board.status_code == 200 and export.status_code == 200
        from io import BytesIO

        from openpyxl import load_workbook

        sheet = load_workbook(BytesIO(export.data))["Поручения"]
        text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
        mine, foreign = (
            ("Средняя школа № 3", "Районная")
            if role == "staff"
            else ("Районная", "Средняя школа № 3")
        )
        assert mine in text and foreign not in text
    elif role == "admin":
        assert board.status_code == 200 and export.status_code == 403
    else:
        assert board.status_code == 302 and export.status_code == 403


# --- expert sheets and protocol import -----------------------------------------------------


def sheet_objects(world, where):
    from tracker.evaluations import services as evaluations

    dept, school, sibling, staff = (
        (world.dept, world.school, world.sibling, world.staff)
        if where == "own"
        else (world.other_dept, world.other_school, None, world.other_staff)
    )
    sheet = evaluations.create_sheet(
        db.session,
        organization=dept,
        title="Экспертный лист",
        actor=staff,
        criteria=evaluations.criteria_from_lines("1. Анализ результатов\n2. План мероприятий"),
    )
    ids = {}
    for org in [o for o in (school, sibling) if o is not None]:
        ev = evaluations.save_evaluation(
            db.session, sheet, org, actor=staff, scores={c.id: 1 for c in sheet.criteria}
        )
        ids[org.id] = ev.id
    db.session.commit()
    return {"sheet": sheet.id, "evaluation": ids[school.id]}


SHEET_VIEW = VIEW | {"sibling_director": OK}  # scored too: sees the sheet with its own column
SHEET_ROUTES = {
    "sheet page": ("GET", "/evaluations/sheets/{sheet}", SHEET_VIEW, VIEW_OTHER),
    "sheet export": ("GET", "/evaluations/sheets/{sheet}/comparison.xlsx", SHEET_VIEW, VIEW_OTHER),
    "evaluation page": ("GET", "/evaluations/{evaluation}", VIEW, VIEW_OTHER),
    "scoring page": ("GET", "/evaluations/sheets/{sheet}/scores", MANAGE, MANAGE_OTHER),
    "sheet edit": ("GET", "/evaluations/sheets/{sheet}/edit", MANAGE, MANAGE_OTHER),
}


@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("route", sorted(SHEET_ROUTES))
def test_sheet_route_table(world, client_for, route, where):
    _method, template, own, other = SHEET_ROUTES[route]
    expected = own if where == "own" else other
    url = template.format(**sheet_objects(world, where))
    wrong = []
    for role in ROLES:
        got = outcome(client_for(world.user(role)).get(url).status_code)
        if got != expected[role]:
            wrong.append(f"{role}: expected {expected[role]}, got {got}")
    assert not wrong, f"{route} on {where}: " + "; ".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_protocol_import_is_for_department_staff(world, client_for, role):
    client = client_for(world.user(role))
    page = client.get("/protocols/import").status_code
    foreign = client.post(
        "/protocols/import",
        {"organization_id": world.other_dept.id, "text": "РЕШИЛИ:\n1. Сделать до 1 марта 2023 г."},
    ).status_code
    if role in ("staff", "other_staff"):
        assert page == 200
        assert foreign == (404 if role == "staff" else 200)
    else:
        assert page == 403 and foreign in (403, 404)


# --- road maps ------------------------------------------------------------------------------


def road_map_objects(world, where):
    from tracker.roadmaps import services as roadmaps
    from tracker.roadmaps.services import ActionRow

    school, director, staff = (
        (world.school, world.director, world.staff)
        if where == "own"
        else (world.other_school, world.other_director, world.other_staff)
    )
    ids = {}
    for state in ("draft", "submitted", "approved"):
        road_map = roadmaps.create_road_map(db.session, director, school, f"Дорожная карта {state}")
        roadmaps.save_actions(
            db.session,
            road_map,
            director,
            [
                ActionRow(
                    number="1", text="Создать рабочую группу", deadline_text="до 1 марта 2023 г."
                )
            ],
        )
        if state != "draft":
            roadmaps.transition(db.session, road_map, "submit", director)
        if state == "approved":
            roadmaps.transition(db.session, road_map, "approve", staff)
            ids["action"] = road_map.actions[0].id
        ids[state] = road_map.id
    db.session.commit()
    return ids


EDIT = REPORT  # the school's director and staff; the department sees but does not write
EDIT_OTHER = REPORT_OTHER
SUBMIT = EDIT | {"school_staff": DENIED}
SUBMIT_OTHER = EDIT_OTHER
ROW = {
    "rows-0-id": "",
    "rows-0-level": "0",
    "rows-0-text": "Новое мероприятие",
    "rows-0-deadline_text": "до 1 марта 2023 г.",
}
MARK = {"status": "done", "completed_on": "2023-02-01", "evidence": "Приказ № 1"}
ROAD_MAP_ROUTES = {
    "road map page": ("GET", "/roadmaps/{draft}", None, VIEW, VIEW_OTHER),
    "road map docx": ("GET", "/roadmaps/{approved}.docx", None, VIEW, VIEW_OTHER),
    "road map xlsx": ("GET", "/roadmaps/{approved}.xlsx", None, VIEW, VIEW_OTHER),
    "road map mark page": ("GET", "/roadmaps/{approved}/actions/{action}", None, VIEW, VIEW_OTHER),
    "road map edit page": ("GET", "/roadmaps/{draft}/edit", None, EDIT, EDIT_OTHER),
    "road map import page": ("GET", "/roadmaps/{draft}/import", None, EDIT, EDIT_OTHER),
    "road map save": ("POST", "/roadmaps/{draft}/edit", ROW, EDIT, EDIT_OTHER),
    "road map submit": ("POST", "/roadmaps/{draft}/submit", {}, SUBMIT, SUBMIT_OTHER),
    "road map approve": (
        "POST",
        "/roadmaps/{submitted}/review/approve",
        {},
        CONTROL,
        CONTROL_OTHER,
    ),
    "road map return": (
        "POST",
        "/roadmaps/{submitted}/review/return",
        {"comment": "Уточните сроки"},
        CONTROL,
        CONTROL_OTHER,
    ),
    "road map revise": ("POST", "/roadmaps/{approved}/revise", {}, EDIT, EDIT_OTHER),
    "road map mark": ("POST", "/roadmaps/{approved}/actions/{action}", MARK, EDIT, EDIT_OTHER),
    "api road map": ("API", "/api/v1/roadmaps/{draft}", None, VIEW, VIEW_OTHER),
    "api road map versions": (
        "API",
        "/api/v1/roadmaps/{approved}/versions",
        None,
        VIEW,
        VIEW_OTHER,
    ),
    "api road map actions": (
        "API-PUT",
        "/api/v1/roadmaps/{draft}/actions",
        {"actions": [{"text": "Новое мероприятие", "deadline_text": "до 1 марта 2023 г."}]},
        EDIT,
        EDIT_OTHER,
    ),
    "api road map submit": (
        "API-POST",
        "/api/v1/roadmaps/{draft}/submit",
        None,
        SUBMIT,
        SUBMIT_OTHER,
    ),
    "api road map approve": (
        "API-POST",
        "/api/v1/roadmaps/{submitted}/approve",
        {},
        CONTROL,
        CONTROL_OTHER,
    ),
    "api road map return": (
        "API-POST",
        "/api/v1/roadmaps/{submitted}/return",
        {"comment": "Уточните сроки"},
        CONTROL,
        CONTROL_OTHER,
    ),
    "api road map mark": (
        "API-POST",
        "/api/v1/roadmaps/{approved}/actions/{action}/mark",
        MARK,
        EDIT,
        EDIT_OTHER,
    ),
}


# The filter's SQL is the same on both databases; these big tables run on PostgreSQL.
@pytest.mark.postgres_only
@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("route", sorted(ROAD_MAP_ROUTES))
def test_road_map_route_table(world, client_for, route, where):
    check_table(world, client_for, ROAD_MAP_ROUTES, route, where, road_map_objects)


# The filter's SQL is the same on both databases; these big tables run on PostgreSQL.
@pytest.mark.postgres_only
@pytest.mark.parametrize("role", ROLES)
def test_road_map_lists_and_summary_show_only_what_the_role_may_see(world, client_for, role):
    from io import BytesIO

    from openpyxl import load_workbook

    road_map_objects(world, "own")
    road_map_objects(world, "other")
    client = client_for(world.user(role))
    page = client.get("/roadmaps").get_data(as_text=True)
    sheet = load_workbook(BytesIO(client.get("/roadmaps/summary.xlsx").data)).active
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    token = create_api_token(db.session, world.user(role), "t")
    db.session.commit()
    api = client.get("/api/v1/roadmaps", headers={"Authorization": f"Bearer {token}"}).json
    sees_own = role in ("admin", "staff", "director", "school_staff")
    sees_other = role in ("admin", "other_staff")
    for shown, name in ((sees_own, "Средняя школа № 3"), (sees_other, "Районная СОШ")):
        assert (name in page) == shown, (role, name, "page")
        assert (name in text) == shown, (role, name, "summary")
        assert any(name in m["organization"] for m in api) == shown, (role, name, "api")


# --- the management cycle -------------------------------------------------------------------


CODES = itertools.count(1)


def cycle_objects(world, where):
    from tracker.cycle import services as cycle

    dept, schools, staff = (
        (world.dept, [world.school, world.sibling], world.staff)
        if where == "own"
        else (world.other_dept, [world.other_school], world.other_staff)
    )
    from tracker.cycle.models import Direction

    n = next(CODES)
    direction = Direction(framework="OTHER", name=f"Направление {n}", position=n)
    db.session.add(direction)
    db.session.flush()
    indicator = cycle.create_indicator(
        db.session,
        staff,
        dept,
        code=f"П-{n}",
        name="Доля",
        unit="percent",
        direction_id=direction.id,
    )
    campaign = cycle.open_campaign(
        db.session,
        staff,
        dept,
        title="Мониторинг",
        period="2023",
        indicators=[indicator],
        organizations=schools,
        deadline_text="до 1 марта 2023 г.",
    )
    analysis = cycle.create_analysis(
        db.session, staff, dept, title="Анализ", recommendations=[(schools[0], "Сделать")]
    )
    review = cycle.record_review(
        db.session, staff, dept, decisions=[], indicator=indicator, verdict="partial"
    )
    db.session.commit()
    return {
        "dept": dept.id,
        "direction": direction.id,
        "school": schools[0].id,
        "indicator": indicator.id,
        "campaign": campaign.id,
        "analysis": analysis.id,
        "recommendation": analysis.recommendations[0].id,
        "review": review.id,
        "value_field": f"value-{indicator.id}",
    }


SCHOOLS_NO = dict.fromkeys(("director", "school_staff", "sibling_director"), DENIED)
DEPT_VIEW = {"admin": OK, "staff": OK, "other_staff": HIDDEN} | SCHOOLS_NO
DEPT_VIEW_OTHER = {"admin": OK, "staff": HIDDEN, "other_staff": OK} | SCHOOLS_NO
DEPT_MANAGE = DEPT_VIEW | {"admin": DENIED}
DEPT_MANAGE_OTHER = DEPT_VIEW_OTHER | {"admin": DENIED}
ASKED = VIEW | {"sibling_director": OK}  # the campaign asks school № 6 too
CAMPAIGN_SCHOOL = VIEW
VALUES_SUBMIT = VIEW | {"admin": DENIED}
DEPT_OBJECT = dict.fromkeys(ROLES, HIDDEN) | {"admin": OK, "staff": OK}
DEPT_OBJECT_OTHER = dict.fromkeys(ROLES, HIDDEN) | {"admin": OK, "other_staff": OK}
CYCLE_ROUTES = {
    "cycle board": ("GET", "/cycle?department_id={dept}", None, DEPT_VIEW, DEPT_VIEW_OTHER),
    "cycle scores": (
        "GET",
        "/cycle/scores?department_id={dept}&organization_id={dept}",
        None,
        DEPT_VIEW,
        DEPT_VIEW_OTHER,
    ),
    "cycle direction": (
        "GET",
        "/cycle/directions/{direction}?department_id={dept}",
        None,
        DEPT_VIEW,
        DEPT_VIEW_OTHER,
    ),
    "cycle direction pdf": (
        "GET",
        "/cycle/directions/{direction}.pdf?department_id={dept}",
        None,
        DEPT_VIEW,
        DEPT_VIEW_OTHER,
    ),
    "cycle new campaign": (
        "GET",
        "/cycle/campaigns/new?department_id={dept}",
        None,
        DEPT_MANAGE,
        DEPT_MANAGE_OTHER,
    ),
    "cycle staff values": (
        "GET",
        "/cycle/values?department_id={dept}",
        None,
        DEPT_MANAGE,
        DEPT_MANAGE_OTHER,
    ),
    "cycle indicator": ("GET", "/cycle/indicators/{indicator}", None, ASKED, VIEW_OTHER),
    "cycle campaign": ("GET", "/cycle/campaigns/{campaign}", None, ASKED, VIEW_OTHER),
    "cycle values form": (
        "GET",
        "/cycle/campaigns/{campaign}/values/{school}",
        None,
        CAMPAIGN_SCHOOL,
        VIEW_OTHER,
    ),
    "cycle values template": (
        "GET",
        "/cycle/campaigns/{campaign}/values/{school}.xlsx",
        None,
        CAMPAIGN_SCHOOL,
        VIEW_OTHER,
    ),
    "cycle values submit": (
        "POST",
        "/cycle/campaigns/{campaign}/values/{school}",
        {"{value_field}": "50"},
        VALUES_SUBMIT,
        VIEW_OTHER | {"admin": DENIED},
    ),
    "cycle analysis": ("GET", "/cycle/analyses/{analysis}", None, DEPT_OBJECT, DEPT_OBJECT_OTHER),
    "cycle review": ("GET", "/cycle/reviews/{review}", None, DEPT_OBJECT, DEPT_OBJECT_OTHER),
    "cycle decide": (
        "POST",
        "/cycle/recommendations/{recommendation}/decide",
        {"deadline_text": "до 1 марта 2023 г.", "meeting_id": "0"},
        DEPT_OBJECT | {"admin": DENIED},
        DEPT_OBJECT_OTHER | {"admin": DENIED},
    ),
}


# The filter's SQL is the same on both databases; these big tables run on PostgreSQL.
@pytest.mark.postgres_only
@pytest.mark.parametrize("where", ["own", "other"])
@pytest.mark.parametrize("route", sorted(CYCLE_ROUTES))
def test_cycle_route_table(world, client_for, route, where):
    check_table(world, client_for, CYCLE_ROUTES, route, where, cycle_objects)


# The filter's SQL is the same on both databases; these big tables run on PostgreSQL.
@pytest.mark.postgres_only
@pytest.mark.parametrize("role", ROLES)
def test_measurements_are_seen_only_where_the_role_reaches(world, role):
    from tracker.core.permissions import visible_to
    from tracker.cycle import services as cycle
    from tracker.cycle.models import Measurement

    own, other = cycle_objects(world, "own"), cycle_objects(world, "other")
    from tracker.cycle.models import Indicator

    for ids, staff, schools in (
        (own, world.staff, [world.school, world.sibling]),
        (other, world.other_staff, [world.other_school]),
    ):
        indicator = db.session.get(Indicator, ids["indicator"])
        for school in schools:
            cycle.save_values(db.session, staff, school, "2023", {indicator: "10"})
    db.session.commit()
    seen = set(
        db.session.scalars(
            sa.select(Measurement.organization_id).where(visible_to(world.user(role), Measurement))
        )
    )
    expected = {
        "admin": {world.school.id, world.sibling.id, world.other_school.id},
        "staff": {world.school.id, world.sibling.id},
        "director": {world.school.id},
        "school_staff": {world.school.id},
        "sibling_director": {world.sibling.id},
        "other_staff": {world.other_school.id},
    }[role]
    assert seen == expected


# --- the edges: a rule that one path checked and another did not ---------------------------
# Each table: role → expected answer, through every path that does the same thing.

REFUSED = 422
EDGE_ROLES = (*ROLES, "colleague")  # colleague: a second specialist of the same department


def edge_user(world, role):
    from tests.factories import make_user
    from tracker.core.tenancy import User

    if role != "colleague":
        return world.user(role)
    found = db.session.scalar(sa.select(User).where(User.email == "kollega@test.ru"))
    return found or make_user("kollega@test.ru", world.dept, "staff", "Коллега Специалиста")


def call(world, client_for, role, method, url, data=None):
    user = edge_user(world, role)
    db.session.commit()
    client = client_for(user)
    if method.startswith("API"):
        token = create_api_token(db.session, user, "t")
        db.session.commit()
        verb = "GET" if method == "API" else "POST"
        return client.open(
            url, method=verb, json=data, headers={"Authorization": f"Bearer {token}"}
        )
    return client.get(url) if method == "GET" else client.post(url, data or {})


def check_edge(world, client_for, routes, build) -> None:
    wrong = []
    for route, (method, template, data, expected) in routes.items():
        for role in EDGE_ROLES:
            ids = build(world)
            url = template.format(**ids)
            payload = data(ids) if callable(data) else data
            got = outcome(call(world, client_for, role, method, url, payload).status_code)
            if got != expected[role]:
                wrong.append(f"{route}, {role}: expected {expected[role]}, got {got}")
    assert not wrong, "; ".join(wrong)


DEPT_ONLY = dict.fromkeys(EDGE_ROLES, HIDDEN) | {"staff": OK, "colleague": OK}


def controller_objects(world):
    meeting, _decision = make_meeting(world)
    return {"meeting": meeting.id, "director": world.director.id, "school": world.school.id}


def director_as_controller(ids):
    return {
        "text": "Провести педсовет",
        "controller_id": ids["director"],
        "executors": [{"organization_id": ids["school"]}],
    }


CONTROLLER_ROUTES = {
    "api decision, director as controller": (
        "API-POST",
        "/api/v1/meetings/{meeting}/decisions",
        director_as_controller,
        DEPT_ONLY | {"staff": REFUSED, "colleague": REFUSED},
    ),
    # The page offers only the department's staff; a forged choice is a form error (200).
    "page decision, director as controller": (
        "POST",
        "/meetings/{meeting}/decisions/new",
        lambda ids: {
            "text": "Провести педсовет",
            "organization_ids": [ids["school"]],
            "controller_id": ids["director"],
            "parent_id": 0,
            "lead_id": 0,
            "direction_id": 0,
        },
        DEPT_ONLY,
    ),
}


def test_route_table_director_as_controller(world, client_for):
    from tracker.meetings.models import Decision

    check_edge(world, client_for, CONTROLLER_ROUTES, controller_objects)
    db.session.expire_all()
    assert not db.session.scalar(sa.select(Decision).where(Decision.controller_id.is_not(None)))


def self_review_objects(world):
    """An assignment to the specialist as a person, reported by them and waiting for review."""
    meeting, _decision = make_meeting(world)
    decision = meetings.create_decision(
        db.session,
        meeting,
        world.staff,
        meetings.DecisionInput(text="Подготовить справку", user_ids=[world.staff.id]),
    )
    (assignment,) = decision.assignments
    services.submit_report(db.session, assignment, world.staff, "Справка готова")
    db.session.commit()
    return {"assignment": assignment.id}


REVIEW = dict.fromkeys(EDGE_ROLES, HIDDEN) | {"staff": DENIED, "admin": DENIED, "colleague": OK}
SELF_REVIEW_ROUTES = {
    "accept": ("POST", "/assignments/{assignment}/move/accept", {}, REVIEW),
    "return": ("POST", "/assignments/{assignment}/move/return", {"comment": "Ещё"}, REVIEW),
    "api accept": ("API-POST", "/api/v1/assignments/{assignment}/accept", {}, REVIEW),
    "api return": (
        "API-POST",
        "/api/v1/assignments/{assignment}/return",
        {"comment": "Ещё"},
        REVIEW,
    ),
}


def test_route_table_self_acceptance(world, client_for):
    check_edge(world, client_for, SELF_REVIEW_ROUTES, self_review_objects)


def two_departments_objects(world):
    """An assignment of the department's meeting to a person who is also in another one."""
    from tests.factories import make_user
    from tracker.core.tenancy import User
    from tracker.orgs.services import grant_role

    person = db.session.scalar(sa.select(User).where(User.email == "dvoe@test.ru"))
    if person is None:
        person = make_user("dvoe@test.ru", world.other_dept, "staff", "Сотрудник Двух Управлений")
        grant_role(db.session, person, world.dept, "staff", actor=system_actor(db.session))
    meeting, _decision = make_meeting(world)
    decision = meetings.create_decision(
        db.session,
        meeting,
        world.staff,
        meetings.DecisionInput(text="Подготовить справку", user_ids=[person.id]),
    )
    db.session.commit()
    return {"assignment": decision.assignments[0].id}


DEPT_READ = DEPT_ONLY | {"admin": OK}
TWO_DEPARTMENTS_ROUTES = {
    "page": ("GET", "/assignments/{assignment}", None, DEPT_READ),
    "api": ("API", "/api/v1/assignments/{assignment}", None, DEPT_READ),
    "cancel": (
        "POST",
        "/assignments/{assignment}/move/cancel",
        {"comment": "Снято"},
        DEPT_ONLY | {"admin": DENIED},
    ),
}


def test_route_table_multi_department_person(world, client_for):
    check_edge(world, client_for, TWO_DEPARTMENTS_ROUTES, two_departments_objects)


def cross_region_objects(world):
    """The director of school № 3 who also works for a department of a neighbouring region."""
    from tests.factories import make_org, make_user
    from tracker.core.tenancy import Organization
    from tracker.orgs.services import grant_role

    other = db.session.scalar(sa.select(Organization).where(Organization.key == "neighbour"))
    if other is None:
        region = make_org("region", "Соседняя область")
        other = make_org("department", "Управление Соседнего района", region)
        other.key = "neighbour"
        make_user("admin2@test.ru", region, "admin", "Админ Соседей")
        grant_role(db.session, world.director, other, "staff", actor=system_actor(db.session))
    db.session.commit()
    return {"user": world.director.id, "org": other.id}


NOT_ADMIN = dict.fromkeys(EDGE_ROLES, DENIED)  # the administration pages are for administrators
CROSS_REGION_ROUTES = {
    "user page": ("GET", "/admin/users/{user}", None, NOT_ADMIN | {"admin": OK}),
    "password link": ("POST", "/admin/users/{user}/reset", {}, NOT_ADMIN),
    "switch off": ("POST", "/admin/users/{user}/active", {}, NOT_ADMIN),
    "grant a role": (
        "POST",
        "/admin/users/{user}",
        lambda ids: {"organization_id": ids["org"], "role": "admin"},
        NOT_ADMIN,
    ),
}


def test_route_table_cross_region_admin(world, client_for):
    """Neither region's administrator may act on a person with roles in both; each sees them."""
    from tracker.core.tenancy import User

    check_edge(world, client_for, CROSS_REGION_ROUTES, cross_region_objects)
    neighbour = db.session.scalar(sa.select(User).where(User.email == "admin2@test.ru"))
    client = client_for(neighbour)
    for method, url in (
        ("GET", f"/admin/users/{world.director.id}"),
        ("POST", f"/admin/users/{world.director.id}/reset"),
        ("POST", f"/admin/users/{world.director.id}/active"),
    ):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == (200 if method == "GET" else 403), url
    db.session.expire_all()
    assert world.director.active and len(world.director.memberships) == 2
