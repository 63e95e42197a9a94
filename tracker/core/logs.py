"""Logging, configured once per process by the app factory.

Our modules log to `logging.getLogger(__name__)`, all under the `tracker` logger, whose level is
LOG_LEVEL (INFO by default); libraries stay at Python's WARNING. Where the process has no log
handler yet (the web server, `flask` commands), one writes to stderr; where something else
already set one up (pytest, a Celery worker), records go there and nothing is added.
"""

from __future__ import annotations

import logging

from flask import Flask

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def level_named(name: str | None) -> int:
    """The level of a LOG_LEVEL value; an unknown name stops the app with the list of known."""
    value = (name or "INFO").strip().upper()
    if value not in LEVELS:
        raise RuntimeError(f"LOG_LEVEL={name!r}: use one of {', '.join(LEVELS)}")
    return logging.getLevelName(value)


def configure_logging(app: Flask) -> None:
    """Set the `tracker` logger's level and, once per process, a stderr handler on the root."""
    logging.getLogger("tracker").setLevel(level_named(app.config.get("LOG_LEVEL")))
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
