"""Counting the SQL statements a piece of code sends: the N+1 guard of the scale tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from tracker.extensions import db


@contextmanager
def counted(app) -> Iterator[list[str]]:
    """The statements sent on the app's engine inside the block (any session, any request)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def page_statements(app, client, url: str, **kwargs) -> int:
    """How many statements one request of `url` sends (after a first, warming request)."""
    assert client.get(url, **kwargs).status_code == 200
    with counted(app) as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return len(statements)
