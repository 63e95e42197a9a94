"""One letter, one transaction: both ways in (SMTP and IMAP) file a letter through here."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask
from sqlalchemy.exc import IntegrityError

from tracker.extensions import db
from tracker.inbound import services
from tracker.inbound.reading import message_id_of


def file_letter(
    app: Flask,
    raw: bytes,
    *,
    via: str,
    envelope_recipients: Sequence[str] = (),
    envelope_sender: str | None = None,
) -> services.Outcome:
    """Process and commit one letter. Any error rolls everything back and is raised, so the
    letter is offered again (SMTP 451, IMAP left unread) rather than half-filed."""
    with app.app_context():
        try:
            outcome = services.receive(
                db.session,
                raw,
                via=via,
                envelope_recipients=envelope_recipients,
                envelope_sender=envelope_sender,
            )
            db.session.commit()
            return outcome
        except IntegrityError:
            db.session.rollback()
            # The same letter, delivered twice at once, was filed by the other delivery.
            if services.already_received(db.session, message_id_of(raw)):
                return services.Outcome("duplicate")
            raise
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
