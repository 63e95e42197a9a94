"""Replies fetched from a mailbox over IMAP (SSL): a private Dovecot on a free port, with a
throwaway mailbox and a self-signed certificate made here. Under CI a missing Dovecot fails."""

from __future__ import annotations

import getpass
import grp
import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, missing
from tests.inbound_helpers import DOMAIN, PDF, point_2, reminder_to, reply_to, rows, self_signed
from tracker.assignments.models import ExecutionReport
from tracker.inbound.models import InboundMessage
from tracker.notify.scheduler import build_scheduler

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = f"reply@{DOMAIN}", "mailbox-password-1"


class Dovecot:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.root.chmod(0o755)  # its unprivileged processes read the certificate and the mail
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.cert, _key = self_signed(self.root)
        (self.root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        mail = self.root / "mail"
        mail.mkdir()
        if os.getuid() == 0:
            # As root, Dovecot runs its parts as its own users (the Debian package makes them).
            internal, login, uid, gid = "dovecot", "dovenull", "dovecot", "dovecot"
            shutil.chown(mail, "dovecot", "dovecot")
        else:
            internal = login = getpass.getuser()
            uid, gid = str(os.getuid()), grp.getgrgid(os.getgid()).gr_name
        (self.root / "dovecot.conf").write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
first_valid_uid = 1
default_internal_user = {internal}
default_internal_group = {gid}
default_login_user = {login}
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
"""
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"dovecot did not start: {self.root / 'dovecot.log'}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None
            # The master has gone; give its children a moment to let go of the port.
            time.sleep(0.5)

    def connect(self) -> imaplib.IMAP4_SSL:
        context = ssl.create_default_context(cafile=str(self.cert))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=10)
        imap.login(USER, PASSWORD)
        imap.select("INBOX")
        return imap

    def deliver(self, *messages) -> None:
        """What the provider does when replies arrive: put them into the mailbox."""
        with self.connect() as imap:
            for message in messages:
                imap.append("INBOX", None, None, message.as_bytes())

    def flags(self) -> list[bytes]:
        with self.connect() as imap:
            _status, data = imap.fetch("1:*", "(FLAGS)")
            return [item for item in data if item]

    def mark_unread(self) -> None:
        with self.connect() as imap:
            imap.store("1:*", "-FLAGS", r"(\Seen)")

    def clear(self) -> None:
        with self.connect() as imap:
            _status, count = imap.select("INBOX")
            if int(count[0]):
                imap.store("1:*", "+FLAGS", r"(\Deleted)")
                imap.expunge()


@pytest.fixture(scope="module")
def dovecot():
    if not Path(DOVECOT).exists():
        missing("dovecot is not installed (make test installs Debian's dovecot-imapd)")
    if not shutil.which("openssl"):
        missing("openssl is not installed (it makes the test server's certificate)")
    server = Dovecot()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def mailbox_imap(app, dovecot, mailbox):
    """This app fetches from the private Dovecot; its letters carry reply addresses."""
    if dovecot.process is None:
        dovecot.start()
    saved = {k: v for k, v in app.config.items() if k.startswith("TRACKER_IMAP_")}
    app.config.update(
        TRACKER_INBOUND_DOMAIN=DOMAIN,
        TRACKER_IMAP_HOST="127.0.0.1",
        TRACKER_IMAP_PORT=dovecot.port,
        TRACKER_IMAP_USER=USER,
        TRACKER_IMAP_PASSWORD=PASSWORD,
        TRACKER_IMAP_CAFILE=str(dovecot.cert),
    )
    yield dovecot
    dovecot.clear()
    app.config.update(saved, TRACKER_INBOUND_DOMAIN="")


def fetch(app):
    return app.test_cli_runner().invoke(args=["mail", "fetch"])


def two_replies(app, world, mailbox):
    decision = point_2(world)
    ours, first = reminder_to(app, mailbox, decision, world.school, world.director)
    theirs, second = reminder_to(app, mailbox, decision, world.sibling, world.sibling_director)
    report = reply_to(
        first, world.director.email, "Программа утверждена.", files=[("Приказ.pdf", PDF)]
    )
    # This provider's mailbox has no plus addresses: the reply is matched by In-Reply-To.
    other = reply_to(second, world.sibling_director.email, "Программа принята советом.", to=USER)
    return (ours, theirs), (report, other)


def reports(assignment_id: int) -> list[ExecutionReport]:
    return rows(ExecutionReport, ExecutionReport.assignment_id == assignment_id)


def test_two_replies_are_filed_once_also_when_fetched_twice(app, world, mailbox, mailbox_imap):
    (ours, theirs), (report, other) = two_replies(app, world, mailbox)
    mailbox_imap.deliver(report, other)

    result = fetch(app)
    assert result.exit_code == 0, result.output
    assert "Писем: 2; отчётов: 2" in result.output
    assert [r.text for r in reports(ours.id)] == ["Программа утверждена."]
    assert [r.text for r in reports(theirs.id)] == ["Программа принята советом."]
    assert [a.filename for a in reports(ours.id)[0].attachments] == ["Приказ.pdf"]
    assert {r.via for r in rows(InboundMessage)} == {"imap"}
    assert all(rb"\Seen" in f for f in mailbox_imap.flags())

    assert "Писем: 0" in fetch(app).output  # nothing unread: nothing to do

    # Fetched twice: someone marks the letters unread in webmail, and the provider delivers
    # one of them a second time.
    mailbox_imap.mark_unread()
    mailbox_imap.deliver(report)
    result = fetch(app)
    assert result.exit_code == 0, result.output
    assert "Писем: 3; отчётов: 0" in result.output and "уже обработанных: 3" in result.output
    assert len(reports(ours.id)) == 1 and len(reports(theirs.id)) == 1
    assert len(rows(InboundMessage)) == 2


def test_mailbox_down_then_back_and_a_failed_letter_waits_for_the_next_pass(
    app, world, mailbox, mailbox_imap
):
    (ours, theirs), (report, other) = two_replies(app, world, mailbox)
    mailbox_imap.deliver(report, other)
    mailbox_imap.stop()
    result = fetch(app)
    assert result.exit_code != 0 and "Почтовый ящик недоступен" in result.output
    assert reports(ours.id) == [] and rows(InboundMessage) == []

    mailbox_imap.start()
    # The disk for files and letters is gone: nothing can be filed, both stay unread.
    uploads = Path(app.config["TRACKER_UPLOAD_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    aside = uploads.with_name(uploads.name + "-aside")
    uploads.rename(aside)
    uploads.write_text("not a directory")
    try:
        result = fetch(app)
    finally:
        uploads.unlink()
        aside.rename(uploads)
    assert result.exit_code == 1, result.output
    assert "отчётов: 0" in result.output and "оставлено до следующего раза: 2" in result.output
    assert reports(ours.id) == [] and reports(theirs.id) == [] and rows(InboundMessage) == []
    assert not any(rb"\Seen" in f for f in mailbox_imap.flags())

    result = fetch(app)
    assert result.exit_code == 0 and "Писем: 2; отчётов: 2" in result.output
    assert len(reports(ours.id)) == 1 and len(reports(theirs.id)) == 1


def test_the_scheduler_polls_the_mailbox_when_configured(app, mailbox_imap):
    assert build_scheduler(app).get_job("imap_fetch") is not None
    app.config["TRACKER_IMAP_HOST"] = ""
    assert build_scheduler(app).get_job("imap_fetch") is None


def test_wrong_password_and_untrusted_certificate_are_clear_errors(ctx, app, mailbox_imap):
    app.config["TRACKER_IMAP_PASSWORD"] = "wrong"
    result = fetch(app)
    assert result.exit_code != 0 and "Почтовый ящик недоступен" in result.output
    app.config.update(TRACKER_IMAP_PASSWORD=PASSWORD, TRACKER_IMAP_CAFILE="")
    result = fetch(app)  # a self-signed certificate is not trusted unless configured
    assert result.exit_code != 0 and "Почтовый ящик недоступен" in result.output
    assert rows(InboundMessage) == []
