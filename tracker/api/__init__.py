"""The JSON API under /api/v1: bearer tokens, one error shape, an OpenAPI document from code.

flask-smorest was chosen because it is a plain Flask extension (our blueprints, app factory and
Flask-Login stay as they are), it builds the OpenAPI 3 document from the same marshmallow
schemas that validate requests and serialize answers, and it is actively maintained."""

from __future__ import annotations

from flask import Flask, abort, g, request

from tracker.extensions import api, csrf, db


def init_api(app: Flask) -> None:
    from tracker.api.assignments import blp as control_blp
    from tracker.api.cycle import blp as cycle_blp
    from tracker.api.inbox import blp as inbox_blp
    from tracker.api.protocols import blp as protocols_blp
    from tracker.api.resources import blp
    from tracker.api.roadmaps import blp as roadmaps_blp

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "info": {
                "description": (
                    "Поручения, совещания и организации. Авторизация: "
                    "`Authorization: Bearer <токен>` (`flask users token EMAIL`)."
                )
            },
        },
    )
    api.init_app(app)
    api.register_blueprint(blp)
    api.register_blueprint(control_blp)
    api.register_blueprint(protocols_blp)
    api.register_blueprint(roadmaps_blp)
    api.register_blueprint(cycle_blp)
    api.register_blueprint(inbox_blp)
    csrf.exempt(blp)
    csrf.exempt(control_blp)
    csrf.exempt(protocols_blp)
    csrf.exempt(roadmaps_blp)
    csrf.exempt(cycle_blp)
    csrf.exempt(inbox_blp)
    # flask-smorest installs an app-wide error handler; the app's own one (HTML for pages, the
    # stable JSON shape under /api/) must win.
    from werkzeug.exceptions import HTTPException

    from tracker.core.web import handle_http_error

    app.register_error_handler(HTTPException, handle_http_error)


def authenticate_request() -> None:
    """Bearer-token authentication for every API call; sets g.api_user."""
    from tracker.auth.services import user_for_api_token

    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = user_for_api_token(db.session, token.strip())
    if user is None:
        abort(401)
    g.api_user = user
    if db.session.dirty:
        db.session.commit()
