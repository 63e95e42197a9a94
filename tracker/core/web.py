"""Request-level wiring: security headers, locale, error pages, template helpers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_date
from flask import (
    Flask,
    abort,
    current_app,
    g,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from tracker.core.models import MAX_ID
from tracker.extensions import db, login

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def select_locale() -> str:
    if not has_request_context():
        # The scheduler, Celery and the CLI: lazy labels evaluated there stay Russian.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in supported:
        return wanted
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TRACKER_TIMEZONE"]


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: int, message: str, errors: Any = None) -> dict:
    """The one shape of every JSON error."""
    body: dict[str, Any] = {"code": code, "status": _status_name(code), "message": message}
    if errors:
        body["errors"] = errors
    return body


def _status_name(code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


# Lazy: evaluated in the locale of the request whose error is being shown.
ERROR_MESSAGES = {
    400: _l("Запрос не может быть обработан: проверьте введённые данные."),
    401: _l("Требуется вход в систему."),
    403: _l("Недостаточно прав для этого действия."),
    404: _l("Страница или запись не найдена."),
    405: _l("Метод не поддерживается."),
    422: _l("Данные не прошли проверку: исправьте их и повторите."),
    413: _l("Файл слишком большой."),
    429: _l("Слишком много попыток. Подождите минуту и попробуйте снова."),
    500: _l("Внутренняя ошибка. Мы уже знаем о ней."),
}


class IdConverter(IntegerConverter):
    """`<int:…>` in every URL: an id fits a 32-bit key, so a longer number matches no route (a
    404) instead of reaching the database."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None, max=MAX_ID):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


class TrustedProxies:
    """X-Forwarded-For and -Proto are believed only from the configured proxy addresses; the
    client is the nearest address in the chain that is not one of those proxies."""

    def __init__(self, app: Any, networks: Iterable[IPv4Network | IPv6Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict, start_response: Any):
        if self.trusted(environ.get("REMOTE_ADDR")):
            client = environ.get("REMOTE_ADDR")
            chain = environ.get("HTTP_X_FORWARDED_FOR", "").split(",")
            for hop in reversed([h.strip() for h in chain if h.strip()]):
                try:
                    ip_address(hop)
                except ValueError:
                    break
                client = hop
                if not self.trusted(hop):
                    break
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def refuse_nul_bytes() -> None:
    """A NUL character is never text a person typed; PostgreSQL cannot store it either."""
    values = [request.path]
    for source in (request.args, request.form):
        for key, items in source.lists():
            values += [key, *items]
    raw = request.get_data(cache=True) if request.is_json else b""
    if any("\x00" in v for v in values) or b"\\u0000" in raw or b"\x00" in raw:
        abort(
            400,
            description=_("Запрос содержит недопустимый символ (NUL). Уберите его и повторите."),
        )


def handle_data_error(error: sa.exc.DataError):
    """The last line: a value the database cannot hold is the client's mistake, never a 500."""
    db.session.rollback()
    return handle_http_error(
        _BadValue(_("Значение вне допустимого диапазона или слишком длинное. Проверьте данные."))
    )


class _BadValue(HTTPException):
    code = 400


def handle_http_error(error: HTTPException):
    code = error.code or 500
    if code == 429:
        # A login attempt refused by the rate limit is still an attempt: it goes to the log.
        from tracker.core.audit import record_now

        record_now(
            None,
            "auth.login_throttled",
            path=request.path,
            email=(request.form.get("email") or "")[:255],
        )
    message = _error_message(error, code)
    if wants_json():
        return _json_error(error, code, message)
    response = current_app.make_response(
        (render_template("errors.html", code=code, message=message), code)
    )
    _allow(error, response.headers)
    return response


def _error_message(error: HTTPException, code: int) -> str:
    if isinstance(error, CSRFError):
        return _(
            "Форма устарела или отправлена не со страницы приложения. "
            "Обновите страницу и повторите."
        )
    if code in (400, 422) and error.description not in (None, type(error).description):
        return error.description  # the app's own words on what is wrong
    known = ERROR_MESSAGES.get(code)
    return str(known) if known is not None else (error.description or "")


def _json_error(error: HTTPException, code: int, message: str) -> Any:
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    if code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tracker"'
    if error.response is not None:
        for header in ("WWW-Authenticate", "Retry-After"):
            if header in error.response.headers:
                response.headers[header] = error.response.headers[header]
    _allow(error, response.headers)
    return response


def _allow(error: HTTPException, headers: Any) -> None:
    """405 answers say which methods the URL takes."""
    for name, value in error.get_headers():
        if name == "Allow":
            headers["Allow"] = value


def security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if current_app.config.get("TRACKER_HSTS"):
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    if request.args.get("lang") in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", request.args["lang"], samesite="Lax", httponly=True)
    if g.get("api_user") is not None or current_user.is_authenticated:
        # A page or an answer for one person: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
    return response


def ru_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["TRACKER_TIMEZONE"])).date()
    return format_date(value, fmt, locale=str(get_locale()))


def short_date(value: date | datetime | None) -> str:
    """«27.02.2023»: digits in every locale, so a plain date skips Babel (lists show hundreds)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    return ru_date(value, "dd.MM.y")


def local_dt(value: datetime | None) -> str:
    """«27.02.2023 14:05» in the app's zone: digits in every locale, so no Babel either."""
    if value is None:
        return ""
    t = value.astimezone(ZoneInfo(current_app.config["TRACKER_TIMEZONE"]))
    return f"{t.day:02d}.{t.month:02d}.{t.year} {t.hour:02d}:{t.minute:02d}"


def actor_name(user: Any) -> str:
    """Who did it, for histories: a person's name, or «система» (the system actor, or nobody)."""
    if user is None or getattr(user, "is_system", False):
        return _("система")
    return user.full_name


def init_app(app: Flask) -> None:
    proxies = app.config.get("TRACKER_TRUSTED_PROXIES") or ()
    if proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, proxies)
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul_bytes)
    app.register_error_handler(sa.exc.DataError, handle_data_error)
    login.login_view = "auth.login"
    # Lazy, so the flash is rendered in the language of the request that triggers it.
    login.login_message = _l("Войдите, чтобы продолжить.")
    login.localize_callback = str
    login.login_message_category = "warning"
    login.session_protection = "basic"
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    from tracker.core.i18n import decimal

    app.jinja_env.filters.update(
        ru_date=ru_date,
        short_date=short_date,
        local_dt=local_dt,
        decimal=decimal,
        actor_name=actor_name,
    )
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def navigation() -> dict:
        from tracker.core.permissions import can_anywhere

        return {"can_anywhere": can_anywhere, "current_locale": str(get_locale())}
