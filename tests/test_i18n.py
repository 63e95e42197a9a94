"""The English locale: chosen by ?lang= or the cookie, complete, and free of leftover Russian."""

import io
import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from markupsafe import escape

from tests.factories import make_meeting
from tracker.assignments import services as assignments
from tracker.cycle.models import Direction
from tracker.evaluations import services as evaluations
from tracker.extensions import db
from tracker.notify.views import reminders_for

CATALOG = Path(__file__).parents[1] / "tracker/translations/en/LC_MESSAGES/messages.po"
CYRILLIC = re.compile(r"[\u0400-\u04ff№]")
# The language switch names each language in itself, in every locale.
LANGUAGE_NAMES = ("Русский",)


def leftover_russian(html: str, data: list[str]) -> list[str]:
    """Cyrillic left on a page once the data (names, titles) and the language names are removed."""
    for text in sorted([*data, *LANGUAGE_NAMES], key=len, reverse=True):
        html = html.replace(str(escape(text)), "")
    return [line.strip() for line in html.splitlines() if CYRILLIC.search(line)]


def test_login_page_in_english_with_query_parameter(app, client_for):
    response = client_for().get("/auth/login?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in html
    for text in ("Sign in", "Email", "Password", "Remember me", "Forgot your password?"):
        assert text in html
    assert leftover_russian(html, []) == []
    assert "lang=en" in response.headers["Set-Cookie"]


def test_russian_stays_the_default(app, client_for):
    html = client_for().get("/auth/login").get_data(as_text=True)
    assert "Вход в систему" in html and "Электронная почта" in html
    assert "Sign in" not in html


def test_language_cookie_keeps_english_on_the_next_page(app, client_for):
    client = client_for()
    response = client.get("/lang/en?next=/auth/forgot")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/forgot")
    html = client.get("/auth/forgot").get_data(as_text=True)
    assert "Reset password" in html and "Send link" in html
    html = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in" in html
    client.get("/lang/ru")
    assert "Вход в систему" in client.get("/auth/login").get_data(as_text=True)


def test_lazy_labels_follow_each_request(app, client_for):
    """Form labels are built at import time, so they must be lazy, not frozen in one language."""
    client = client_for()
    assert "Email" in client.get("/auth/login?lang=en").get_data(as_text=True)
    assert "Электронная почта" in client.get("/auth/login?lang=ru").get_data(as_text=True)
    assert "Email" in client.get("/auth/login?lang=en").get_data(as_text=True)


def test_director_home_page_in_english(world, client_for):
    meeting, decision = make_meeting(world)
    response = client_for(world.director).get("/?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        f"Hello, {world.director.full_name}",
        "Director",
        "Overdue",
        "Item 2.",
        "Returned for rework",
        "Meetings",
        "Organizations",
        "Sign out",
        "No. 1",
    ):
        assert text in html, text
    data = [
        world.director.full_name,
        *(org.short_name for org in (world.region, world.dept, world.school, world.sibling)),
        meeting.title,
        decision.text,
        decision.deadline_text,
    ]
    assert leftover_russian(html, data) == []


def test_admin_pages_in_english(world, client_for):
    client = client_for(world.admin)
    html = client.get("/admin/users/invite?lang=en").get_data(as_text=True)
    for text in ("Invite a user", "Full name", "Organization", "Education department specialist"):
        assert text in html, text
    html = client.get("/admin/organizations/new").get_data(as_text=True)  # the cookie is set now
    for text in ("Parent organization", "— none (top level) —", "General education school"):
        assert text in html, text
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Administrator" in html and "School director" in html


def test_form_validation_errors_in_english(world, client_for):
    client = client_for()
    html = client.post("/auth/login?lang=en", {"email": "", "password": ""}).get_data(as_text=True)
    assert "This field is required." in html  # WTForms' own catalog
    assert "Обязательное поле" not in html
    html = client.post("/auth/forgot?lang=en", {"email": "not-an-address"}).get_data(as_text=True)
    assert "Invalid email address." in html  # ours
    html = client.post(
        "/auth/login?lang=en", {"email": "director@test.ru", "password": "wrong"}
    ).get_data(as_text=True)
    assert "Invalid email or password." in html


def test_form_validation_errors_stay_russian_by_default(world, client_for):
    html = client_for().post("/auth/forgot", {"email": "nope"}).get_data(as_text=True)
    assert "Неверный адрес." in html


def test_login_required_flash_and_error_pages_in_english(world, client_for):
    client = client_for()
    response = client.get("/?lang=en")
    assert response.status_code == 302
    assert "Please sign in to continue." in client.get("/auth/login").get_data(as_text=True)

    client = client_for(world.director)
    response = client.get("/meetings/999999?lang=en")
    assert response.status_code == 404
    assert "Page or record not found." in response.get_data(as_text=True)
    response = client.get("/meetings/999999?lang=ru")
    assert "Страница или запись не найдена." in response.get_data(as_text=True)


def test_catalog_is_complete():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.obsolete
    # Placeholders such as %(email)s must survive translation.
    assert [(m.id, errors) for m, errors in catalog.check()] == []


# --- the control pages, notifications, protocol import and expert sheets --------------------


def _world_data(world) -> list[str]:
    """Names that are data on every page: people and organizations."""
    people = (world.admin, world.staff, world.director, world.school_staff, world.sibling_director)
    organizations = (world.region, world.dept, world.school, world.sibling, world.other_dept)
    return [*(u.full_name for u in people), *(o.short_name for o in organizations)]


def _directions() -> list[str]:
    """The directions of the management cycle (seeded data, shown in the filters)."""
    data = []
    for d in db.session.scalars(sa.select(Direction)):
        data += [d.framework, d.name, d.name[:70]]
    return data


def test_board_in_english(world, client_for):
    meeting, decision = make_meeting(world)
    data = [*_world_data(world), *_directions(), meeting.title, decision.text]
    data.append(decision.deadline_text)
    response = client_for(world.staff).get("/board?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "Execution control",
        "Control",
        "Import minutes",
        "My assignments",
        "Meeting",
        "Area",
        "Search the text of decisions and reports",
        "— all —",
        "assigned",
        "returned for rework",
        "Execution discipline",
        "On time, %",
    ):
        assert text in html, text
    assert leftover_russian(html, data) == []


def test_my_assignments_in_english(world, client_for):
    meeting, decision = make_meeting(world)
    response = client_for(world.director).get("/my?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "My assignments" in html and "assigned" in html
    data = [*_world_data(world), meeting.title, decision.text, decision.deadline_text]
    assert leftover_russian(html, data) == []


def test_assignment_page_in_english(world, client_for):
    meeting, decision = make_meeting(world)
    (assignment,) = [a for a in decision.assignments if a.organization_id == world.school.id]
    reason = "Перенос итоговой аттестации"
    assignments.request_extension(db.session, assignment, world.director, reason, date(2023, 3, 15))
    report = "Программа разработана и утверждена приказом"
    assignments.submit_report(db.session, assignment, world.director, report)
    db.session.commit()
    data = [*_world_data(world), meeting.title, decision.text, decision.deadline_text]
    data += [reason, report]
    # Mail goes out in Russian: the subjects listed on the page are data too.
    data += [m.subject for m in reminders_for(assignment)]

    html = (
        client_for(world.staff).get(f"/assignments/{assignment.id}?lang=en").get_data(as_text=True)
    )
    for text in (
        "Assignment",
        "Executor",
        "Deadline",
        "report submitted",
        "Report review",
        "Accept and close",
        "Return for rework",
        "Deadline extensions",
        "pending",
        "under review",
        "assignment created",
        "deadline extension requested",
        "No. 1",
    ):
        assert text in html, text
    assert leftover_russian(html, data) == []

    html = (
        client_for(world.director)
        .get(f"/assignments/{assignment.id}?lang=en")
        .get_data(as_text=True)
    )
    assert "report submitted" in html and "Comments" in html
    assert leftover_russian(html, data) == []


def test_assignment_flash_and_service_errors_in_english(world, client_for):
    _meeting, decision = make_meeting(world)
    (assignment,) = [a for a in decision.assignments if a.organization_id == world.school.id]
    client = client_for(world.director)
    client.post(f"/assignments/{assignment.id}/move/start?lang=en", {"comment": ""})
    html = client.get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert "Done: the assignment is now “in progress”." in html
    client.post(
        f"/assignments/{assignment.id}/extension",
        {"proposed_date": "2023-02-01", "reason": "нужно больше времени"},
    )
    html = client.get(f"/assignments/{assignment.id}").get_data(as_text=True)
    assert "The new deadline must be later than the current one (27.02.2023)." in html

    # The same refusal outside a request (CLI, scheduler) stays Russian.
    with pytest.raises(assignments.AssignmentError, match=r"позже текущего \(27\.02\.2023\)"):
        assignments.request_extension(
            db.session, assignment, world.director, "причина", date(2023, 2, 1)
        )
    # Lazy labels evaluated where there is an app context but no request (the scheduler, Celery).
    assert str(assignments.STATE_LABELS["done"]) == "исполнено"


def test_notification_settings_in_english(world, client_for):
    response = client_for(world.director).get("/settings/notifications?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "How to send reminders",
        "Each reminder as a separate email",
        "One digest a day",
        f"Emails are sent to {world.director.email}.",
        "Deadline calendar",
    ):
        assert text in html, text
    assert leftover_russian(html, _world_data(world)) == []


def test_protocol_import_page_in_english(world, client_for):
    response = client_for(world.staff).get("/protocols/import?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in (
        "Import minutes",
        "Text of the minutes",
        "…or a file with the minutes",
        "Read the minutes",
        "Enter a meeting by hand",
    ):
        assert text in html, text
    assert leftover_russian(html, _world_data(world)) == []


def test_protocol_file_errors_in_english(world, client_for):
    client = client_for(world.staff)
    html = client.post(
        "/protocols/import?lang=en",
        {"organization_id": str(world.dept.id), "file": (io.BytesIO(b"%PDF-1.4"), "p.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "PDF cannot be read" in html
    assert leftover_russian(html, _world_data(world)) == []


def test_expert_sheets_list_in_english(world, client_for):
    sheet = evaluations.create_sheet(
        db.session,
        organization=world.dept,
        title="Экспертиза программ развития",
        kind="diagnostic",
        threshold=2,
        criteria=[evaluations.CriterionSpec(f"Критерий {n}", str(n), 1) for n in (1, 2, 3)],
        actor=world.staff,
    )
    db.session.commit()
    response = client_for(world.staff).get("/evaluations/?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("Expert sheets", "New sheet", "Sheet", "Kind", "Diagnostic card"):
        assert text in html, text
    assert leftover_russian(html, [*_world_data(world), sheet.title]) == []
