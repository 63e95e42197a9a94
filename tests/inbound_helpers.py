"""Shared by the inbound tests: a reminder that really went out, a director's reply to it, and
`flask mail inbound` running as its own process on a free port."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.conftest import free_port
from tests.factories import make_meeting
from tracker.extensions import db
from tracker.notify.scheduler import deliver_pending, run_sweep

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
DOMAIN = "otvet.uo.test"
PDF = b"%PDF-1.4\n% the programme, approved\n"
MSK = ZoneInfo("Europe/Moscow")


def point_2(world):
    """Point 2 for schools № 3 and № 6, with staff as its controller (told of each report)."""
    _meeting, decision = make_meeting(world)
    decision.controller_id = world.staff.id
    world.staff.notify_mode = "each"
    db.session.commit()
    return decision


def reminder_to(app, mailbox, decision, school, director):
    """The reminder a week before the deadline as `director` received it through real SMTP
    (Reply-To, Message-ID), and the assignment it is about."""
    (assignment,) = [a for a in decision.assignments if a.organization_id == school.id]
    # The sweep for that morning; the clock itself is not moved (the server runs on real time).
    run_sweep(app, datetime(2023, 2, 20, 9, 30, tzinfo=MSK))
    deliver_pending(app)
    letters = [
        m
        for m in mailbox.messages
        if ":due-minus-7:" in str(m["X-Tracker-Key"])
        and parseaddr(str(m["To"]))[1] == director.email
        and f"assignment:{assignment.id}:" in str(m["X-Tracker-Key"])
    ]
    assert len(letters) == 1, [str(m["X-Tracker-Key"]) for m in mailbox.messages]
    return assignment, letters[0]


def reminder_letter(app, world, mailbox):
    return reminder_to(app, mailbox, point_2(world), world.school, world.director)


def reply_to(
    original,
    sender: str,
    body: str,
    *,
    to: str | None = None,
    files: list[tuple[str, bytes]] = (),
    message_id: str | None = None,
    **headers: str,
) -> EmailMessage:
    """A reply as a mail program writes it: Re: subject, In-Reply-To, quoted history."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = to or str(original["Reply-To"])
    reply["Subject"] = "Re: " + str(original["Subject"])
    reply["Message-ID"] = message_id or f"<{time.time_ns()}@school3.test>"
    reply["In-Reply-To"] = str(original["Message-ID"])
    reply["References"] = str(original["Message-ID"])
    for name, value in headers.items():
        reply[name.replace("_", "-")] = value
    quoted = "\n".join(
        "> " + line for line in original.get_body(("plain",)).get_content().split("\n")
    )
    reply.set_content(f"{body}\n\n20.02.2023 9:30, Контроль поручений пишет:\n{quoted}\n")
    for name, data in files:
        maintype, subtype = (
            ("application", "pdf") if name.endswith(".pdf") else ("application", "octet-stream")
        )
        reply.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return reply


def send(port: int, message: EmailMessage, *, mail_from: str | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(
            message,
            from_addr=mail_from if mail_from is not None else parseaddr(str(message["From"]))[1],
        )


class InboundServer:
    """`flask mail inbound` in its own process, as production runs it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="inbound-", suffix=".log")[1])

    def start(self) -> None:
        self.process = subprocess.Popen(
            [FLASK, "mail", "inbound", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"flask mail inbound exited: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("flask mail inbound did not start")

    def kill(self) -> None:
        """The hard way: no chance to finish what it was doing."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def server_env(app, database_url: str, sink_port: int, **extra: str) -> dict[str, str]:
    return dict(
        os.environ,
        FLASK_APP="wsgi.py",
        TRACKER_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY=app.config["SECRET_KEY"],
        TRACKER_INBOUND_DOMAIN=DOMAIN,
        TRACKER_UPLOAD_DIR=app.config["TRACKER_UPLOAD_DIR"],
        TRACKER_BASE_URL=app.config["TRACKER_BASE_URL"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(sink_port),
        MAIL_TIMEOUT="5",
        REDIS_URL="",
        # Answers go out before the next letter is taken (one writer at a time on SQLite).
        TRACKER_DELIVER_INLINE="true",
        TRACKER_MAX_UPLOAD_MB="1",  # letters over about 2.3 MB are refused at the door
        **extra,
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key, made with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def rows(model, *where):
    db.session.rollback()
    return list(db.session.scalars(sa.select(model).where(*where)))


def wait_for(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out waiting")
