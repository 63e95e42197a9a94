"""The two ways a service says no, and their one mapping to HTTP.

- `Refused`: what was asked cannot be done; the message (Russian, for the user) says why, and
  `rows` which rows or values are wrong when the service knows. A page may catch it to show the
  message on its form; uncaught, it answers 422.
- `NotAllowed`: the actor has no right to it. Uncaught, it answers 403 and the refusal goes to
  the audit log, naming the object the service refused (`target`).

Every part's error is a `Refused`; every service raises `NotAllowed` itself. `handle` is the one
place that turns an uncaught one into a response (the page or the API's JSON); it rolls back.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden, UnprocessableEntity

from tracker.core.audit import record_denied
from tracker.core.web import handle_http_error
from tracker.extensions import db


class Refused(ValueError):
    """A refused request, with a Russian message; `rows` says which rows or values are wrong."""

    def __init__(self, message: str = "", rows: dict[Any, str] | None = None) -> None:
        super().__init__(message)
        self.rows = rows or {}


class NotAllowed(Exception):
    """The actor has no right to this: 403, audited with `target` (the refused object). Not a
    `Refused` (nor a ValueError), so no form that shows refusals swallows it."""

    def __init__(self, message: str = "", *, target: Any = None) -> None:
        super().__init__(message)
        self.target = target


def _http_error(error: Refused | NotAllowed) -> Forbidden | UnprocessableEntity:
    db.session.rollback()
    if isinstance(error, NotAllowed):
        target = error.target
        actor = g.get("api_user") or current_user
        record_denied(
            actor,
            getattr(target, "__tablename__", None),
            getattr(target, "id", None),
            request.endpoint or "",
        )
        return Forbidden()
    http = UnprocessableEntity(description=str(error))
    if error.rows:
        http.data = {"errors": {str(key): problem for key, problem in error.rows.items()}}
    return http


def handle(error: Refused | NotAllowed):
    """A refusal no view caught: 403 or 422, as the error page or as the API's JSON body (with
    `errors` when rows are named), through the one HTTP error handler."""
    return handle_http_error(_http_error(error))


def init_app(app: Flask) -> None:
    app.register_error_handler(Refused, handle)
    app.register_error_handler(NotAllowed, handle)
