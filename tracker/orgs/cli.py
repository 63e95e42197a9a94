"""`flask users …`: create users, grant roles, print API tokens."""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from tracker.auth import services as auth_services
from tracker.core.tenancy import ROLES, Organization, User, system_actor
from tracker.extensions import db
from tracker.orgs import services

users_cli = AppGroup("users", help="Пользователи: создание, роли, API-токены.")


def _organization(ref: str) -> Organization:
    org = db.session.scalar(
        sa.select(Organization).where(
            sa.or_(Organization.key == ref, Organization.short_name == ref)
            if not ref.isdigit()
            else Organization.id == int(ref)
        )
    )
    if org is None:
        raise click.ClickException(f"Организация «{ref}» не найдена (id, ключ или краткое имя).")
    return org


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "full_name", required=True, help="ФИО")
@click.option("--org", "org_ref", required=True, help="Организация: id, ключ или краткое имя")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--position", default=None)
@click.password_option(help="Пароль (не короче 10 символов)")
def create_user(email, full_name, org_ref, role, position, password):
    """Создать пользователя с паролем и ролью в организации."""
    org = _organization(org_ref)
    actor = system_actor(db.session)
    try:
        user = services.create_user(
            db.session, email=email, full_name=full_name, position=position, actor=actor
        )
        services.grant_role(db.session, user, org, role, actor=actor)
        auth_services.set_password(db.session, user, password, actor=actor)
    except (services.OrgError, auth_services.AuthError) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Создан пользователь {user.email} (id {user.id}), роль {role} в «{org.short_name}»."
    )


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="Название токена")
def token(email, name):
    """Выпустить API-токен пользователю и напечатать его (показывается один раз)."""
    user = db.session.scalar(sa.select(User).where(User.email == services.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"Пользователь {email} не найден.")
    value = auth_services.create_api_token(db.session, user, name, actor=system_actor(db.session))
    db.session.commit()
    click.echo(value)


@users_cli.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email):
    """Отозвать все API-токены пользователя."""
    from tracker.auth.models import ApiToken

    user = db.session.scalar(sa.select(User).where(User.email == services.normalize_email(email)))
    if user is None:
        raise click.ClickException(f"Пользователь {email} не найден.")
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    actor = system_actor(db.session)
    for api_token in tokens:
        auth_services.revoke_api_token(db.session, api_token, actor=actor)
    db.session.commit()
    click.echo(f"Отозвано токенов: {len(tokens)}")
