"""Bad input gets a clear Russian message and changes nothing."""

from io import BytesIO

import pytest
import sqlalchemy as sa

from tests.factories import make_meeting
from tracker.assignments.models import Assignment, ExecutionReport, ExtensionRequest
from tracker.core.models import Attachment
from tracker.extensions import db


@pytest.fixture
def assignment(world):
    _m, decision = make_meeting(world)
    return next(a for a in decision.assignments if a.organization_id == world.school.id)


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def upload(client, assignment, name: str, data: bytes, text="Отчёт"):
    return client.post(
        f"/assignments/{assignment.id}/report",
        {"text": text, "files": (BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("программа.docx", b"MZ\x90\x00 not a document", "повреждён или его содержимое"),
        ("пусто.pdf", b"", "пустой"),
        ("script.exe", b"MZ\x90\x00", "такой тип не принимается"),
    ],
)
def test_broken_files_change_nothing(world, client_for, assignment, name, data, message):
    page = upload(client_for(world.director), assignment, name, data).get_data(as_text=True)
    assert message in page and "Отчёт не сохранён" in page
    assert count(ExecutionReport) == 0 and count(Attachment) == 0
    assert db.session.get(Assignment, assignment.id).status == "assigned"


def test_file_over_the_per_file_limit(world, client_for, assignment, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACKER_MAX_FILE_MB", 1)
    page = upload(
        client_for(world.director), assignment, "big.pdf", b"%PDF-1.4" + b"0" * (1024 * 1024 + 10)
    ).get_data(as_text=True)
    assert "больше 1 МБ" in page
    assert count(ExecutionReport) == 0


def test_request_over_the_total_limit_is_413_in_russian(
    world, client_for, assignment, app, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    response = client_for(world.director).post(
        f"/assignments/{assignment.id}/report",
        {"text": "x", "files": (BytesIO(b"%PDF" + b"0" * 2 * 1024 * 1024), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Файл слишком большой" in response.get_data(as_text=True)
    assert count(ExecutionReport) == 0


def test_empty_report_text_is_refused(world, client_for, assignment):
    page = (
        client_for(world.director)
        .post(f"/assignments/{assignment.id}/report", {"text": "   "}, follow_redirects=True)
        .get_data(as_text=True)
    )
    assert "текст отчёта обязателен" in page
    assert count(ExecutionReport) == 0


@pytest.mark.parametrize("value", ["31.02.2023", "завтра", "", "2023-13-01"])
def test_wrong_extension_dates(world, client_for, assignment, value):
    page = (
        client_for(world.director)
        .post(
            f"/assignments/{assignment.id}/extension",
            {"proposed_date": value, "reason": "Причина"},
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "Укажите новый срок" in page
    assert count(ExtensionRequest) == 0


def test_extension_before_current_deadline(world, client_for, assignment):
    page = (
        client_for(world.director)
        .post(
            f"/assignments/{assignment.id}/extension",
            {"proposed_date": "2023-02-01", "reason": "Причина"},
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "позже текущего" in page
    assert count(ExtensionRequest) == 0


def test_bad_board_filter_is_explained(world, client_for):
    make_meeting(world)
    page = client_for(world.staff).get("/board?at=31.02.2023&due_within=abc").get_data(as_text=True)
    assert "Фильтр содержит ошибки" in page


def test_post_without_csrf_changes_nothing(world, client_for, assignment):
    response = client_for(world.director).post(
        f"/assignments/{assignment.id}/report", {"text": "x"}, csrf=False
    )
    assert response.status_code == 400
    assert "Обновите страницу" in response.get_data(as_text=True)
    assert count(ExecutionReport) == 0


def test_unreadable_deadline_on_the_decision_form(world, client_for):
    meeting, _ = make_meeting(world)
    page = (
        client_for(world.staff)
        .post(
            f"/meetings/{meeting.id}/decisions/new",
            {
                "text": "Сделать",
                "deadline_text": "до 31.02.2023",
                "organization_ids": [world.school.id],
            },
        )
        .get_data(as_text=True)
    )
    assert "Даты 31.02.2023 не существует" in page
    db.session.rollback()
    from tracker.meetings.models import Decision

    assert count(Decision) == 1
