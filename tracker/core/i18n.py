"""Messages from code that runs both in requests and without one.

Services raise errors with a message for the user. Within a request the message is shown in
the reader's language; the same services also run in the CLI, the scheduler, Celery and the
demo loader, where there is no request to choose a language from (flask_babel's locale selector
reads the request), so there the Russian original is returned.

The msgid is the Russian text with ``%(name)s`` placeholders, never an f-string, so that
``pybabel extract`` finds it (the keyword is ``_``) and the translation keeps the placeholders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import has_request_context
from flask_babel import gettext


def _(text: str, /, **values: Any) -> str:
    """``text`` in the reader's language within a request; the Russian original elsewhere.

    ``values`` fill the ``%(name)s`` placeholders. As with flask_babel.gettext, a text without
    values is not %-formatted (a literal ``%`` stays single)."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def ngettext_ru(singular: str, plural: str, num: int, /, **values: Any) -> str:
    """A Russian plural form from the ru catalogue («1 день», «2 дня», «5 дней»), in or out of
    a request: letters are written in Russian whoever's action triggers them. ``%(num)s`` is
    the number, as with flask_babel.ngettext."""
    text = _russian().ngettext(singular, plural, num)
    return text % {"num": num, **values}


_RUSSIAN: list[Any] = []


def _russian() -> Any:
    if not _RUSSIAN:
        from babel.support import Translations
        from flask import current_app

        directory = Path(current_app.root_path) / "translations"
        _RUSSIAN.append(Translations.load(str(directory), ["ru"]))
    return _RUSSIAN[0]


def decimal_separator() -> str:
    """The reader's decimal separator: «,» in Russian, «.» in English; «,» outside a request
    (letters and documents are written in Russian)."""
    if has_request_context():
        from babel.numbers import get_decimal_symbol
        from flask_babel import get_locale

        return get_decimal_symbol(get_locale() or "ru")
    return ","


def decimal(value: Any, places: int | None = None) -> str:
    """A number as the reader writes it: 12.5 → «12,5» in Russian; `places` rounds first."""
    if value is None:
        return ""
    if places is not None:
        value = round(value, places)
    text = f"{value}"
    if "e" in text.lower():
        text = f"{value:f}"
    return text.replace(".", decimal_separator())
