"""The home page per role, the bare health endpoint, and the language switch."""

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.core.urls import safe_next
from tracker.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
@login_required
def home():
    from tracker.meetings import services as meetings

    overview = meetings.home_overview(db.session, current_user)
    return render_template("home.html", **overview)


@bp.route("/health")
def health():
    """Bare endpoint: the yardstick the benchmarks compare every page against."""
    db.session.execute(sa.text("SELECT 1"))
    return jsonify(status="ok")


@bp.route("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_next(request.args.get("next")) or url_for("core.home"))
    if code in ("ru", "en"):
        response.set_cookie("lang", code, samesite="Lax", httponly=True, max_age=365 * 86400)
    return response
