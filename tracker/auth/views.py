"""Login, logout, one-time links (invitation and password reset)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import services
from tracker.auth.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from tracker.core.urls import safe_next
from tracker.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["TRACKER_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        db.session.commit()
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
        flash(_("Неверная электронная почта или пароль."), "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
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
            login_user(user)
            flash(_("Пароль сохранён. Добро пожаловать!"), "success")
            return redirect(url_for("core.home"))
    return render_template("auth/set_password.html", form=form, link=link)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot():
    from tracker.auth.notifications import send_reset_link
    from tracker.orgs.models import User

    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.query(User).filter_by(email=email, active=True).first()
        if user is not None:
            token = services.issue_link(
                db.session, user, "reset", current_app.config["TRACKER_INVITE_TTL_HOURS"]
            )
            send_reset_link(user, token)
            db.session.commit()
        # The same answer either way, so the form does not reveal who has an account.
        flash(
            _("Если такой адрес зарегистрирован, на него отправлена ссылка для смены пароля."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)
