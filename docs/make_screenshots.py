"""Screenshots of the main pages for the README: a fresh SQLite demo, served and photographed
in headless Chromium. Run with `make screenshots`."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "demo-parol-2023"  # noqa: S105 - the demo password, printed by `flask demo load`


def main() -> None:
    workdir = Path(tempfile.mkdtemp())
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'demo.sqlite'}"
    os.environ["MAIL_SUPPRESS_SEND"] = "true"
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.demo.loader import load_all
    from tracker.extensions import db

    app = create_app()
    from tracker.notify.events import muted

    with app.app_context(), muted():
        upgrade()
        load_all(db.session)
        db.session.commit()
        from tracker.meetings.models import Meeting

        ptz_id = db.session.query(Meeting.id).filter_by(key="ptz-2023-01-31").scalar()
    # The demo's protocols are of early 2023: the pages are shown as on 28 February 2023.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tracker.core import clock

    clock.freeze(datetime(2023, 2, 28, 10, tzinfo=ZoneInfo("Europe/Moscow")))
    server = make_server("127.0.0.1", 5077, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:5077"
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])

        def session(email: str | None):
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
            page = context.new_page()
            if email:
                page.goto("/auth/login")
                page.get_by_label("Электронная почта").fill(email)
                page.get_by_label("Пароль").fill(PASSWORD)
                page.get_by_role("button", name="Войти").click()
            return page

        page = session(None)
        page.goto("/auth/login")
        page.screenshot(path=OUT / "login.png")
        staff = session("chervova@petrozavodsk.demo.test")
        staff.screenshot(path=OUT / "inbox-staff.png", full_page=True)
        staff.goto(f"/board?meeting_id={ptz_id}&at=2023-02-28")
        staff.screenshot(path=OUT / "board.png", full_page=False)
        staff.goto("/protocols/import")
        staff.screenshot(path=OUT / "protocol-import.png")
        staff.goto("/roadmaps")
        staff.screenshot(path=OUT / "road-maps.png", full_page=True)
        staff.get_by_role(
            "link", name="План мероприятий по повышению качества образования в МОУ"
        ).click()
        staff.screenshot(path=OUT / "road-map.png", full_page=True)
        staff.get_by_role("link", name="Совещания", exact=True).click()
        staff.get_by_role("link", name="совещания руководителей муниципальных").first.click()
        staff.screenshot(path=OUT / "meeting.png")
        director = session("director.sch3@petrozavodsk.demo.test")
        director.screenshot(path=OUT / "inbox-director.png", full_page=True)
        director.goto("/my")
        director.screenshot(path=OUT / "my-assignments.png")
        director.get_by_test_id("my-assignment").first.get_by_role("link").click()
        director.screenshot(path=OUT / "assignment.png", full_page=True)
        admin = session("admin@demo.test")
        admin.goto("/admin/users")
        admin.screenshot(path=OUT / "users.png")
        admin.goto("/admin/outbox")
        admin.screenshot(path=OUT / "outbox.png")
        zarechny = session("admin@demo.test")
        zarechny.goto("/evaluations/")
        zarechny.get_by_role("link", name="Экспертный лист", exact=False).first.click()
        zarechny.screenshot(path=OUT / "expert-sheet.png", full_page=True)
        krh = session("shaderkova@krasny-kholm.demo.test")
        krh.goto("/cycle?year=2023")
        krh.screenshot(path=OUT / "cycle-board.png", full_page=True)
        krh.goto("/cycle/scores")
        krh.screenshot(path=OUT / "mum-scores.png", full_page=True)
        browser.close()
    server.shutdown()
    print(f"Снимки сохранены в {OUT}")


if __name__ == "__main__":
    main()
