"""API: the inbox, the same items as the home page for the token's user."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from tracker.api import authenticate_request
from tracker.api.schemas import InboxSchema
from tracker.extensions import db
from tracker.inbox.queries import inbox_for

blp = Blueprint("api_inbox", __name__, url_prefix="/api/v1", description="Что ждёт внимания")
blp.before_request(authenticate_request)


@blp.route("/inbox")
@blp.response(200, InboxSchema)
def inbox():
    """What needs the user today, by section, as on their home page."""
    return inbox_for(db.session, g.api_user)
