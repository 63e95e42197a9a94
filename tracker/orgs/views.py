"""Administration: organizations and users (invitations, roles, password resets)."""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.auth import services as auth_services
from tracker.auth.notifications import send_invitation, send_reset_link
from tracker.core.audit import record_denied
from tracker.core.permissions import (
    can,
    can_anywhere,
    can_wholly,
    get_visible_or_404,
    visible_to,
)
from tracker.core.tenancy import Membership, Organization, User
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.orgs import services
from tracker.orgs.forms import ORG_KIND_LABELS, ROLE_LABELS, InviteForm, OrganizationForm, RoleForm

bp = Blueprint("orgs", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def only_admins():
    if not can_anywhere(current_user, "organization.manage"):
        record_denied(current_user, None, None, "admin")
        abort(403)


def _manageable_orgs() -> list[Organization]:
    return db.session.scalars(
        sa.select(Organization)
        .where(visible_to(current_user, Organization, "organization.manage"))
        .order_by(Organization.path)
    ).all()


def managed_user(user_id: int) -> User:
    """A user the administrator may act on: all the user's roles lie within the admin's reach.
    Someone who also holds a role elsewhere is visible (their roles here are listed) but not
    managed here: a password reset or a switch-off would reach into the other region."""
    user = get_visible_or_404(current_user, User, user_id, "user.manage")
    if not can_wholly(current_user, "user.manage", user):
        record_denied(current_user, "users", user.id, "user.manage")
        abort(403)
    return user


@bp.app_template_global()
def memberships_in_reach(user: User) -> list[Membership]:
    return [m for m in user.memberships if can(current_user, "user.manage", m.organization)]


def _org_choices(orgs: list[Organization]) -> list[tuple[int, str]]:
    return [(o.id, "— " * (o.path.count("/") - 2) + o.short_name) for o in orgs]


@bp.route("/organizations")
def organizations():
    return render_template(
        "orgs/organizations.html", organizations=_manageable_orgs(), kinds=ORG_KIND_LABELS
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@bp.route("/organizations/<int:org_id>/edit", methods=["GET", "POST"])
def edit_organization(org_id: int | None = None):
    org = None
    if org_id is not None:
        org = get_visible_or_404(current_user, Organization, org_id, "organization.manage")
    form = OrganizationForm(obj=org)
    form.parent_id.choices = [
        (0, _("— нет (верхний уровень) —")),
        *_org_choices(_manageable_orgs()),
    ]
    if org is not None and not form.is_submitted():
        form.parent_id.data = org.parent_id or 0
    if form.validate_on_submit():
        parent = db.session.get(Organization, form.parent_id.data) if form.parent_id.data else None
        if parent is None and org is None:
            form.parent_id.errors.append(_("Выберите вышестоящую организацию."))
        if not form.errors:
            fields = {
                "kind": form.kind.data,
                "short_name": form.short_name.data.strip(),
                "full_name": (form.full_name.data or form.short_name.data).strip(),
                "municipality": form.municipality.data or None,
                "email": form.email.data or None,
                "timezone": form.timezone.data,
            }
            try:
                if org is None:
                    org = services.create_organization(
                        db.session, parent=parent, actor=current_user, **fields
                    )
                else:
                    services.update_organization(db.session, org, actor=current_user, **fields)
                db.session.commit()
            except (services.OrgError, sa.exc.IntegrityError) as error:
                db.session.rollback()
                message = (
                    str(error)
                    if isinstance(error, services.OrgError)
                    else _(
                        "Организация с таким наименованием уже есть у этой вышестоящей организации."
                    )
                )
                form.short_name.errors.append(message)
            else:
                flash(_("Организация сохранена."), "success")
                return redirect(url_for("orgs.organizations"))
    return render_template("orgs/organization_form.html", form=form, org=org)


@bp.route("/users")
def users():
    rows = db.session.scalars(
        sa.select(User)
        .where(visible_to(current_user, User, "user.manage"))
        .order_by(User.full_name)
    ).all()
    return render_template("orgs/users.html", users=rows, roles=ROLE_LABELS)


@bp.route("/users/invite", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    form.organization_id.choices = _org_choices(_manageable_orgs())
    if form.validate_on_submit():
        org = get_visible_or_404(
            current_user, Organization, form.organization_id.data, "user.manage"
        )
        try:
            user = services.create_user(
                db.session,
                email=form.email.data,
                full_name=form.full_name.data,
                position=form.position.data or None,
                actor=current_user,
            )
            services.grant_role(db.session, user, org, form.role.data, actor=current_user)
            token = auth_services.issue_link(
                db.session,
                user,
                "invite",
                current_app.config["TRACKER_INVITE_TTL_HOURS"],
                actor=current_user,
            )
            send_invitation(user, token, current_user)
            db.session.commit()
        except services.OrgError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            flash(_("Приглашение отправлено на %(email)s.", email=user.email), "success")
            return render_template(
                "orgs/link_issued.html", user=user, link=external_url("auth.use_link", token=token)
            )
    return render_template("orgs/invite.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_detail(user_id: int):
    user = get_visible_or_404(current_user, User, user_id, "user.manage")
    manageable = can_wholly(current_user, "user.manage", user)
    form = RoleForm()
    form.organization_id.choices = _org_choices(_manageable_orgs())
    if form.is_submitted() and not manageable:
        record_denied(current_user, "users", user.id, "user.manage")
        abort(403)
    if form.validate_on_submit():
        org = get_visible_or_404(
            current_user, Organization, form.organization_id.data, "user.manage"
        )
        try:
            services.grant_role(db.session, user, org, form.role.data, actor=current_user)
            db.session.commit()
            flash(_("Роль добавлена."), "success")
        except services.OrgError as error:
            db.session.rollback()
            form.role.errors.append(str(error))
        else:
            return redirect(url_for("orgs.user_detail", user_id=user.id))
    return render_template(
        "orgs/user_detail.html", user=user, form=form, roles=ROLE_LABELS, manageable=manageable
    )


@bp.route("/users/<int:user_id>/roles/<int:membership_id>/revoke", methods=["POST"])
def revoke_role(user_id: int, membership_id: int):
    user = managed_user(user_id)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.user_id != user.id:
        abort(404)
    services.revoke_role(db.session, membership, actor=current_user)
    db.session.commit()
    flash(_("Роль снята."), "success")
    return redirect(url_for("orgs.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
def reset_password(user_id: int):
    user = managed_user(user_id)
    purpose = "reset" if user.password_hash else "invite"
    token = auth_services.issue_link(
        db.session,
        user,
        purpose,
        current_app.config["TRACKER_INVITE_TTL_HOURS"],
        actor=current_user,
    )
    if purpose == "reset":
        send_reset_link(user, token)
    else:
        send_invitation(user, token, current_user)
    db.session.commit()
    flash(_("Ссылка для установки пароля отправлена на %(email)s.", email=user.email), "success")
    return render_template(
        "orgs/link_issued.html", user=user, link=external_url("auth.use_link", token=token)
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id: int):
    user = managed_user(user_id)
    if user.id == current_user.id:
        flash(_("Нельзя отключить собственную учётную запись."), "danger")
    else:
        services.set_active(db.session, user, not user.active, actor=current_user)
        db.session.commit()
        flash(
            _("Учётная запись включена.") if user.active else _("Учётная запись отключена."),
            "success",
        )
    return redirect(url_for("orgs.user_detail", user_id=user.id))


@bp.app_template_global()
def can_manage_org(org: Organization) -> bool:
    return can(current_user, "organization.manage", org)
