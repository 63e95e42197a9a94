"""Logging: configured once, and no exception is swallowed without a trace in the log."""

from __future__ import annotations

import ast
import io
import logging
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask

from tracker.core.logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
BROAD = {"Exception", "BaseException"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def catches_everything(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(ast.unparse(kind).split(".")[-1] in BROAD for kind in kinds)


def passes_it_on(node: ast.AST) -> bool:
    """A `raise` that keeps the caught exception (bare, or chained: not `from None`)."""
    return isinstance(node, ast.Raise) and not (
        isinstance(node.cause, ast.Constant) and node.cause.value is None
    )


def logs_it(node: ast.AST, name: str | None) -> bool:
    """A logger call that carries the exception: `.exception(...)`, `exc_info=...`, or the
    caught exception among the arguments."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in LOG_METHODS
    ):
        return False
    if node.func.attr == "exception" or any(k.arg == "exc_info" for k in node.keywords):
        return True
    return name is not None and any(
        isinstance(arg, ast.Name) and arg.id == name for arg in ast.walk(node)
    )


def silent_handlers(source: str, filename: str = "<code>") -> list[str]:
    """The `except` blocks that catch everything and neither re-raise nor log what they caught."""
    found = []
    for handler in ast.walk(ast.parse(source)):
        if not isinstance(handler, ast.ExceptHandler) or not catches_everything(handler):
            continue
        body = [node for statement in handler.body for node in ast.walk(statement)]
        if not any(passes_it_on(node) or logs_it(node, handler.name) for node in body):
            found.append(f"{filename}:{handler.lineno}")
    return found


def test_no_exception_is_swallowed_without_a_log_record():
    silent = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        silent += silent_handlers(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert silent == [], "log the exception (log.exception / exc_info=True) or re-raise it"


@pytest.mark.parametrize(
    ("body", "silent"),
    [
        ("except Exception:\n    return None", True),
        ("except:\n    pass", True),
        ("except (ValueError, Exception):\n    x = 1", True),
        ("except BaseException:\n    raise Refused('нет') from None", True),
        ("except Exception as error:\n    print(error)", True),
        ("except Exception:\n    log.info('failed')", True),
        ("except Exception:\n    log.exception('failed for %s', item)", False),
        ("except Exception:\n    log.warning('failed', exc_info=True)", False),
        ("except Exception as error:\n    log.warning('failed: %s', error)", False),
        ("except Exception:\n    db.session.rollback()\n    raise", False),
        ("except Exception as error:\n    raise Refused('нет') from error", False),
        ("except ValueError:\n    return None", False),
    ],
)
def test_the_check_finds_a_silent_handler(body, silent):
    source = "def f():\n    try:\n        g()\n    " + body.replace("\n", "\n    ")
    assert bool(silent_handlers(source)) is silent


@contextmanager
def bare_root():
    """The root logger as in a process that set up no logging (restored afterwards)."""
    root = logging.getLogger()
    tracker = logging.getLogger("tracker")
    saved = root.handlers[:], tracker.level
    root.handlers.clear()
    try:
        yield root
    finally:
        added = root.handlers[:]
        root.handlers[:] = saved[0]
        tracker.setLevel(saved[1])
        for handler in added:
            handler.close()


def app_with(**config) -> Flask:
    app = Flask("probe")
    app.config.update(config)
    return app


def test_logging_is_configured_once_per_process():
    with bare_root() as root:
        configure_logging(app_with(LOG_LEVEL="DEBUG"))
        configure_logging(app_with(LOG_LEVEL="warning"))
        assert len(root.handlers) == 1
        assert logging.getLogger("tracker").level == logging.WARNING
        assert logging.getLogger("tracker.notify.delivery").getEffectiveLevel() == logging.WARNING


def test_logging_leaves_a_configured_process_its_handlers():
    root = logging.getLogger()
    before = root.handlers[:]  # pytest's own
    configure_logging(app_with(LOG_LEVEL="INFO"))
    assert root.handlers == before


def test_an_unknown_log_level_stops_the_app():
    with pytest.raises(RuntimeError, match="LOG_LEVEL='chatty'"):
        configure_logging(app_with(LOG_LEVEL="chatty"))


def test_the_app_factory_reads_log_level(monkeypatch):
    from config import TestingConfig
    from tracker import create_app

    monkeypatch.setenv("LOG_LEVEL", "ERROR")
    try:
        create_app(TestingConfig())
        assert logging.getLogger("tracker").level == logging.ERROR
    finally:
        logging.getLogger("tracker").setLevel(logging.INFO)


def test_a_damaged_word_file_is_refused_and_logged(caplog, monkeypatch):
    from tracker.protocols.text import ProtocolInputError, extract_text

    # As configured by the app factory, whatever an earlier test's library did to the logger.
    logger = logging.getLogger("tracker.protocols.text")
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "propagate", True)
    caplog.set_level(logging.INFO, logger="tracker")

    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "не XML")
    data = package.getvalue()
    with pytest.raises(ProtocolInputError):
        extract_text("протокол.docx", data)
    assert any(
        r.name == "tracker.protocols.text" and r.exc_info and f"{len(data)} bytes" in r.getMessage()
        for r in caplog.records
    )
