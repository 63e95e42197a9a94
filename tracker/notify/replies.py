"""Reply addresses: a letter about one assignment can be answered to report on it.

The address is ``<local>+<token>@<TRACKER_INBOUND_DOMAIN>``. The token names the assignment,
the recipient and the last day it is accepted, and is signed with a key derived from
SECRET_KEY, so it can be neither guessed nor altered. The same token is part of the letter's
Message-ID: a reply whose mail program dropped the plus part is matched through In-Reply-To."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from flask import current_app

from tracker.notify.sources import replyable_kinds

if TYPE_CHECKING:
    from tracker.notify.models import OutboxMessage

_EPOCH = date(2000, 1, 1)
_TOKEN = re.compile(r"([0-9]{1,12})-([0-9]{1,12})-([0-9]{1,6})-([a-z2-7]{16})")


@dataclass(frozen=True)
class ReplyToken:
    assignment_id: int
    user_id: int  # 0 for a letter to an address that is not a user's
    expires: date  # the last day a reply is accepted

    @property
    def text(self) -> str:
        body = f"{self.assignment_id}-{self.user_id}-{(self.expires - _EPOCH).days}"
        return f"{body}-{_sign(body)}"


def _sign(body: str) -> str:
    key = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"tracker.reply-token", hashlib.sha256
    ).digest()
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:10]
    return base64.b32encode(digest).decode().lower()


def inbound_domain() -> str:
    return (current_app.config.get("TRACKER_INBOUND_DOMAIN") or "").strip().lower()


def read_token(text: str) -> ReplyToken | None:
    """The token if `text` is one and its signature holds (expired or not); None otherwise."""
    match = _TOKEN.fullmatch(text.strip().lower())
    if match is None:
        return None
    assignment_id, user_id, days, signature = match.groups()
    if not hmac.compare_digest(signature, _sign(f"{assignment_id}-{user_id}-{days}")):
        return None
    return ReplyToken(int(assignment_id), int(user_id), _EPOCH + timedelta(days=int(days)))


def plus_parts(addresses: Iterable[str]) -> list[str]:
    """What follows «+» in the local part of our reply addresses among `addresses`."""
    domain, local = inbound_domain(), reply_local()
    found = []
    for address in addresses:
        name, _at, host = address.strip().lower().rpartition("@")
        base, plus, tag = name.partition("+")
        if host == domain and base == local and plus:
            found.append(tag)
    return found


def tokens_in_message_ids(message_ids: Iterable[str]) -> list[str]:
    """Token candidates from the Message-IDs a reply refers to (In-Reply-To, References)."""
    found = []
    for message_id in message_ids:
        local = message_id.strip().strip("<>").partition("@")[0]
        candidate = local.rpartition(".")[2]
        if _TOKEN.fullmatch(candidate.lower()):
            found.append(candidate)
    return found


def reply_local() -> str:
    return (current_app.config.get("TRACKER_INBOUND_LOCAL") or "reply").strip().lower()


def token_for(row: OutboxMessage) -> ReplyToken | None:
    """The reply token of an outbox row, if replies are received and the letter is replyable."""
    if not inbound_domain() or row.kind not in replyable_kinds() or row.assignment_id is None:
        return None
    days = int(current_app.config["TRACKER_INBOUND_TOKEN_DAYS"])
    expires = row.created_at.date() + timedelta(days=days)
    return ReplyToken(row.assignment_id, row.recipient_id or 0, expires)


def reply_address(token: ReplyToken | None) -> str:
    """The address replies go to. Without plus addressing (a provider that bounces
    «name+tag@»), the plain mailbox: replies are then matched by In-Reply-To only."""
    if token is None or not current_app.config.get("TRACKER_INBOUND_PLUS", True):
        return f"{reply_local()}@{inbound_domain()}"
    return f"{reply_local()}+{token.text}@{inbound_domain()}"
