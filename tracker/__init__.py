"""The management-decision follow-up tracker: `create_app()` wires config, extensions and parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Any = None) -> Flask:
    """Build the application. `config` is a config object, a mapping of overrides, or None
    (then TRACKER_ENV picks development, testing or production)."""
    from config import config_for
    from tracker.core.logs import configure_logging

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    settings = config if config is not None and not isinstance(config, dict) else config_for()
    app.config.from_object(settings)
    if isinstance(config, dict):
        app.config.update(config)
    settings.validate()

    configure_logging(app)
    register_extensions(app)
    register_models()
    register_blueprints(app)
    register_cli(app)
    return app


def register_models() -> None:
    """Import every part's models so the metadata (and Alembic) sees all tables, and what the
    parts register with notify."""
    from tracker.assignments import models as _a  # noqa: F401

    # Each part registers with notify what its sweep reminds of and its kinds of letters.
    from tracker.assignments import reminders as _ar  # noqa: F401
    from tracker.auth import models as _au  # noqa: F401
    from tracker.core import models as _c  # noqa: F401
    from tracker.core import tenancy as _t  # noqa: F401
    from tracker.cycle import models as _cy  # noqa: F401
    from tracker.evaluations import models as _e  # noqa: F401
    from tracker.inbound import models as _i  # noqa: F401
    from tracker.meetings import models as _m  # noqa: F401
    from tracker.notify import models as _n  # noqa: F401
    from tracker.roadmaps import models as _r  # noqa: F401
    from tracker.roadmaps import reminders as _rr  # noqa: F401


def register_extensions(app: Flask) -> None:
    from tracker import inbound, notify
    from tracker.core import errors, web
    from tracker.core.models import render_migration_item
    from tracker.extensions import babel, csrf, db, limiter, login, mail, migrate

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(ROOT / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    mail.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    login.init_app(app)
    web.init_app(app)
    errors.init_app(app)
    notify.init_app(app)
    inbound.init_app(app)


def register_blueprints(app: Flask) -> None:
    from tracker.api import init_api
    from tracker.assignments.views import bp as assignments_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.core.views import bp as core_bp
    from tracker.cycle.views import bp as cycle_bp
    from tracker.evaluations.views import bp as evaluations_bp
    from tracker.inbound.views import bp as inbound_bp
    from tracker.inbox import views as _inbox  # noqa: F401 - registers the home page's inbox
    from tracker.meetings.views import bp as meetings_bp
    from tracker.notify.views import bp as notify_bp
    from tracker.orgs.views import bp as orgs_bp
    from tracker.protocols.views import bp as protocols_bp
    from tracker.reports.views import bp as reports_bp
    from tracker.roadmaps.views import bp as roadmaps_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(meetings_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(evaluations_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(protocols_bp)
    app.register_blueprint(roadmaps_bp)
    app.register_blueprint(cycle_bp)
    app.register_blueprint(inbound_bp)
    init_api(app)


def register_cli(app: Flask) -> None:
    from tracker.demo.cli import demo_cli
    from tracker.inbound.cli import mail_cli
    from tracker.notify.cli import reminders_cli, scheduler_cli
    from tracker.orgs.cli import users_cli
    from tracker.protocols.cli import protocol_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(protocol_cli)
    app.cli.add_command(mail_cli)
