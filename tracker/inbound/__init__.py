"""Reports by mail: a director answers a letter about an assignment and the answer is filed.

Two ways in, both ending in `services.receive`: an SMTP server (`flask mail inbound`, aiosmtpd)
for installations that can route a domain to it, and an IMAP poll (`flask mail fetch`, also a
scheduler job) for those that have only a mailbox at their provider."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the IMAP poll with the scheduler (notify owns the scheduler, not this part)."""
    from tracker.inbound.imap import schedule

    app.extensions.setdefault("scheduler_jobs", []).append(schedule)
