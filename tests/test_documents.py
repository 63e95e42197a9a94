"""Documents out: protocol and extract DOCX, the board XLSX, the private ICS feed."""

import re
from io import BytesIO

from docx import Document
from icalendar import Calendar

from tests.factories import make_meeting
from tracker.core.tenancy import system_actor
from tracker.extensions import db
from tracker.meetings import services as meetings


def docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(BytesIO(data)).paragraphs)


def test_protocol_and_extract(world, client_for):
    meeting, _decision = make_meeting(world)
    only_sibling = meetings.add_decision(
        db.session,
        meeting,
        number="3",
        text="Только школе № 6",
        deadline_text="до 1 марта 2023 г.",
        actor=system_actor(db.session),
    )
    meetings.fan_out(db.session, only_sibling, [world.sibling], actor=system_actor(db.session))
    db.session.commit()
    staff = client_for(world.staff)
    protocol = docx_text(staff.get(f"/meetings/{meeting.id}/protocol.docx").data)
    assert "РЕШИЛИ" in protocol and "антирисковую программу" in protocol
    assert "Только школе № 6" in protocol
    extract = client_for(world.director).get(
        f"/meetings/{meeting.id}/extract/{world.school.id}.docx"
    )
    assert extract.status_code == 200
    text = docx_text(extract.data)
    assert "ВЫПИСКА ИЗ ПРОТОКОЛА" in text and "антирисковую программу" in text
    assert "Только школе № 6" not in text
    # A director cannot get the extract of another school of the same meeting.
    assert (
        client_for(world.director)
        .get(f"/meetings/{meeting.id}/extract/{world.sibling.id}.docx")
        .status_code
        == 404
    )


def test_calendar_feed_is_private_and_revocable(world, client_for):
    make_meeting(world)
    make_meeting(world, dept=world.other_dept, schools=[world.other_school])
    director = client_for(world.director)
    page = director.post("/calendar", {"action": "create"}).get_data(as_text=True)
    url = re.search(r'data-testid="feed-url">([^<]+)<', page).group(1)
    path = (
        url.split("127.0.0.1:5000")[-1]
        if "127.0.0.1:5000" in url
        else url[url.index("/calendar") :]
    )
    feed = client_for().get(path)  # no session: the URL itself is the key
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    events = list(Calendar.from_ical(feed.data).walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["DTSTART"].dt) == "2023-02-27"
    assert "антирисковую" in str(events[0]["SUMMARY"])
    director.post("/calendar", {"action": "revoke"})
    assert client_for().get(path).status_code == 404
    assert client_for().get("/calendar/trk_nonsense.ics").status_code == 404


def test_calendar_page_requires_csrf(world, client_for):
    assert (
        client_for(world.director).post("/calendar", {"action": "create"}, csrf=False).status_code
        == 400
    )
