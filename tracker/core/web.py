"""Request-level wiring: security headers, locale, login loading, error pages, template helpers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import Flask, current_app, has_request_context, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

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
    413: _l("Файл слишком большой."),
    429: _l("Слишком много попыток. Подождите минуту и попробуйте снова."),
    500: _l("Внутренняя ошибка. Мы уже знаем о ней."),
}


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
    if isinstance(error, CSRFError):
        message = _(
            "Форма устарела или отправлена не со страницы приложения. "
            "Обновите страницу и повторите."
        )
    else:
        known = ERROR_MESSAGES.get(code)
        message = str(known) if known is not None else (error.description or "")
    if wants_json():
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
        return response
    return render_template("errors.html", code=code, message=message), code


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
    return response


@login.user_loader
def load_user(identity: str):
    from tracker.orgs.models import User

    user_id, _sep, version = identity.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or str(user.session_version) != version:
        return None
    return user


def ru_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(current_app.config["TRACKER_TIMEZONE"])).date()
    return format_date(value, fmt, locale=str(get_locale()))


def short_date(value: date | datetime | None) -> str:
    return ru_date(value, "dd.MM.y")


def local_dt(value: datetime | None) -> str:
    if value is None:
        return ""
    tz = ZoneInfo(current_app.config["TRACKER_TIMEZONE"])
    return format_datetime(value.astimezone(tz), "dd.MM.y HH:mm", locale=str(get_locale()))


def init_app(app: Flask) -> None:
    trusted = int(app.config.get("TRACKER_TRUSTED_PROXIES", 0) or 0)
    if trusted:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)
    login.login_view = "auth.login"
    # Lazy, so the flash is rendered in the language of the request that triggers it.
    login.login_message = _l("Войдите, чтобы продолжить.")
    login.localize_callback = str
    login.login_message_category = "warning"
    login.session_protection = "basic"
    app.after_request(security_headers)
    app.register_error_handler(HTTPException, handle_http_error)
    app.jinja_env.filters.update(ru_date=ru_date, short_date=short_date, local_dt=local_dt)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def navigation() -> dict:
        from tracker.core.permissions import can_anywhere

        return {"can_anywhere": can_anywhere, "current_locale": str(get_locale())}
