"""`flask mail inbound`: an SMTP server (aiosmtpd) that receives the replies.

For installations that can route a domain (or a forwarding rule) to it. It accepts mail only
for TRACKER_INBOUND_DOMAIN (it relays nothing) and answers 451 when a letter could not be
filed, so the sending server tries again later. With a certificate it offers STARTTLS."""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import threading
from functools import partial
from typing import Any

from flask import Flask

from tracker.inbound.intake import file_letter

log = logging.getLogger(__name__)


class InboundHandler:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.domain = (app.config.get("TRACKER_INBOUND_DOMAIN") or "").strip().lower()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.rpartition("@")[2].lower() != self.domain:
            return "550 5.7.1 Relaying denied"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        work = partial(
            file_letter,
            self.app,
            raw,
            via="smtp",
            envelope_recipients=list(envelope.rcpt_tos),
            envelope_sender=envelope.mail_from,
        )
        try:
            # Database and disk work happen off the event loop, one letter per worker thread.
            outcome = await asyncio.get_running_loop().run_in_executor(None, work)
        except Exception:
            log.exception("letter from %s not filed; the sender will retry", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"
        log.info("letter from %s: %s", envelope.mail_from, outcome.kind)
        return "250 2.0.0 OK"


def tls_context(app: Flask) -> ssl.SSLContext | None:
    """STARTTLS for the servers that deliver to us, when a certificate is configured."""
    cert, key = app.config["TRACKER_INBOUND_TLS_CERT"], app.config["TRACKER_INBOUND_TLS_KEY"]
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key or None)
    return context


def serve(app: Flask, host: str, port: int, ready: threading.Event | None = None) -> None:
    """Run until SIGTERM or Ctrl+C."""
    from aiosmtpd.controller import Controller

    # Letters carry files in base64 (a third larger than the files themselves).
    limit = int(app.config["MAX_CONTENT_LENGTH"]) * 4 // 3 + 1024 * 1024
    controller = Controller(
        InboundHandler(app),
        hostname=host,
        port=port,
        data_size_limit=limit,
        ident="tracker",
        tls_context=tls_context(app),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stop.set())
    controller.start()
    if ready is not None:
        ready.set()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
