"""`flask mail fetch` and its scheduler job: read the replies from a mailbox over IMAP (SSL).

For installations that have only a mailbox at their provider. Unread letters are read without
marking them (BODY.PEEK), filed one transaction each, and only then marked read; a letter that
failed stays unread for the next pass. Message-IDs make a letter fetched twice file once."""

from __future__ import annotations

import imaplib
import logging
import ssl
from dataclasses import dataclass

from flask import Flask

from tracker.core import clock
from tracker.inbound.intake import file_letter

log = logging.getLogger(__name__)


@dataclass
class FetchResult:
    seen: int = 0
    report: int = 0
    extension: int = 0
    refused: int = 0
    ignored: int = 0
    duplicate: int = 0
    failed: int = 0


def fetch(app: Flask) -> FetchResult:
    """One pass over the mailbox's unread letters. Connection and login errors are raised."""
    config = app.config
    context = ssl.create_default_context(cafile=config["TRACKER_IMAP_CAFILE"] or None)
    result = FetchResult()
    with imaplib.IMAP4_SSL(
        config["TRACKER_IMAP_HOST"],
        int(config["TRACKER_IMAP_PORT"]),
        ssl_context=context,
        timeout=int(config["MAIL_TIMEOUT"]),
    ) as imap:
        imap.login(config["TRACKER_IMAP_USER"], config["TRACKER_IMAP_PASSWORD"])
        status, detail = imap.select(_quoted(config["TRACKER_IMAP_FOLDER"]))
        if status != "OK":
            raise imaplib.IMAP4.error(f"SELECT {config['TRACKER_IMAP_FOLDER']}: {detail}")
        _status, found = imap.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split() if found and found[0] else []:
            result.seen += 1
            kind = _file_one(app, imap, uid)
            setattr(result, kind, getattr(result, kind) + 1)
    return result


def _file_one(app: Flask, imap: imaplib.IMAP4_SSL, uid: bytes) -> str:
    """File one unread letter and mark it read; what it was, or «failed» (left unread)."""
    status, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
    if status != "OK" or raw is None:
        return "failed"
    try:
        outcome = file_letter(app, raw, via="imap")
    except Exception:
        log.exception("IMAP letter %s not filed; left unread for the next pass", uid)
        return "failed"
    imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    return outcome.kind


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run(app: Flask) -> None:
    """The scheduler's job: a mailbox that cannot be reached now is tried on the next run."""
    try:
        result = fetch(app)
    except (imaplib.IMAP4.error, OSError) as error:
        log.warning("IMAP mailbox unavailable: %s", error)
        return
    if result.seen:
        log.info("IMAP: %s", result)


def schedule(app: Flask, scheduler) -> None:
    if not app.config.get("TRACKER_IMAP_HOST"):
        return
    minutes = int(app.config["TRACKER_IMAP_MINUTES"])
    scheduler.add_job(
        run,
        "interval",
        minutes=minutes,
        args=[app],
        id="imap_fetch",
        coalesce=True,
        max_instances=1,
        next_run_time=clock.now(),
        misfire_grace_time=minutes * 60,
    )
