"""The home page per role, the bare health endpoint, and the language switch.

What the home page shows comes from the parts: each registers a provider of template values
(`register_home_section`); core knows none of them."""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.core.urls import safe_next
from tracker.extensions import db

bp = Blueprint("core", __name__)

HOME_SECTIONS: dict[str, Callable[..., dict[str, Any]]] = {}


def register_home_section(name: str, provider: Callable[..., dict[str, Any]]) -> None:
    """`provider(session, user)` returns the values its part of home.html needs."""
    HOME_SECTIONS[name] = provider


@bp.route("/")
@login_required
def home():
    values: dict[str, Any] = {}
    for provider in HOME_SECTIONS.values():
        values.update(provider(db.session, current_user))
    return render_template("home.html", **values)


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
