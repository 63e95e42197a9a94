"""Login, logout, one-time links (invitation and password reset)."""

import logging

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import services
from tracker.auth.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from tracker.core.urls import safe_next
from tracker.extensions import db, limiter, login
from tracker.orgs.services import normalize_email

bp = Blueprint("auth", __name__, url_prefix="/auth")


@login.user_loader
def load_user(identity: str):
    return services.user_for_session(db.session, identity)


log = logging.getLogger(__name__)


def _login_limit() -> str:
    return current_app.config["TRACKER_LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["TRACKER_LOGIN_ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    return "account:" + normalize_email(request.form.get("email") or "")[:255]


def _failed(response: Response) -> bool:
    """Only failed attempts count, so a school's teachers behind one address are not locked out
    by their own successful logins."""
    return response.status_code != 302


def sign_in(user, remember: bool = False) -> None:
    """Start a server-side login session for `user` and put it in the cookie."""
    config = current_app.config
    lifetime = (
        config["REMEMBER_COOKIE_DURATION"] if remember else config["PERMANENT_SESSION_LIFETIME"]
    )
    services.start_session(db.session, user, remember=remember, lifetime=lifetime)
    db.session.commit()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            sign_in(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
        flash(_("Неверная электронная почта или пароль."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.end_session(db.session, current_user)
    db.session.commit()
    logout_user()  # also tells the browser to drop the «remember me» cookie
    flash(_("Вы вышли из системы."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/link/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def use_link(token: str):
    link = services.find_link(db.session, token)
    if link is None:
        return render_template("auth/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.use_link(db.session, token, form.password.data)
        except services.AuthError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            db.session.commit()
            logout_user()
            sign_in(user)
            flash(_("Пароль сохранён. Добро пожаловать!"), "success")
            return redirect(url_for("core.home"))
    return render_template("auth/set_password.html", form=form, link=link)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same answer, in the same time, whether or not the address has an account: the
        # look-up and the letter happen after the answer has been sent.
        flash(
            _("Если такой адрес зарегистрирован, на него отправлена ссылка для смены пароля."),
            "info",
        )
        response = redirect(url_for("auth.login"))
        app = current_app._get_current_object()
        email = form.email.data
        response.call_on_close(lambda: _send_reset_later(app, email))
        return response
    return render_template("auth/forgot.html", form=form)


def _send_reset_later(app: Flask, email: str) -> None:
    with app.app_context():
        try:
            services.request_reset(db.session, email, app.config["TRACKER_INVITE_TTL_HOURS"])
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("password reset for a requested address failed")
