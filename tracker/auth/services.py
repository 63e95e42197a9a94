"""Passwords (Argon2id), one-time links and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from tracker.auth.models import ApiToken, OneTimeLink
from tracker.core import audit, clock
from tracker.core.i18n import _
from tracker.orgs.models import User
from tracker.orgs.services import normalize_email

hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10
API_TOKEN_PREFIX = "trk_"  # noqa: S105 - a prefix, not a secret


class AuthError(ValueError):
    """A refusal with a Russian message for the user."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(_("Пароль должен быть не короче %(n)s символов.", n=MIN_PASSWORD_LENGTH))
    if password.isdigit() or password.isalpha():
        raise AuthError(_("Пароль должен содержать и буквы, и цифры или другие знаки."))


def set_password(session: Session, user: User, password: str, *, actor: User | None = None) -> None:
    check_password_strength(password)
    user.password_hash = hasher.hash(password)
    user.session_version += 1
    session.flush()
    audit.record(actor or user, "user.password_set", user)


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the e-mail and password match an active account; every attempt is audited
    (the caller commits, failed attempts included)."""
    email = normalize_email(email)
    user = session.scalar(sa.select(User).where(User.email == email))
    ok = False
    if user is not None and user.password_hash and user.active:
        try:
            ok = hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
    else:
        # Spend the same time as a real check, so timing does not reveal which e-mails exist.
        hasher.hash(password)
    audit.record(
        user if ok else None,
        "auth.login" if ok else "auth.login_failed",
        user,
        email=email,
    )
    if ok:
        user.last_login_at = clock.now()
        session.flush()
        return user
    return None


def issue_link(
    session: Session, user: User, purpose: str, ttl_hours: int, *, actor: User | None = None
) -> str:
    """A one-time link token (returned once, stored hashed); earlier unused links stop working."""
    now = clock.now()
    session.execute(
        sa.update(OneTimeLink)
        .where(OneTimeLink.user_id == user.id, OneTimeLink.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        OneTimeLink(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
            created_by_id=actor.id if actor else None,
        )
    )
    session.flush()
    audit.record(actor, f"user.{purpose}_link", user)
    return token


def find_link(session: Session, token: str) -> OneTimeLink | None:
    link = session.scalar(sa.select(OneTimeLink).where(OneTimeLink.token_hash == _digest(token)))
    if link is None or link.used_at is not None or link.expires_at <= clock.now():
        return None
    return link


def use_link(session: Session, token: str, password: str) -> User:
    link = find_link(session, token)
    if link is None:
        raise AuthError(
            _(
                "Ссылка недействительна или уже использована. "
                "Попросите администратора прислать новую."
            )
        )
    set_password(session, link.user, password)
    link.used_at = clock.now()
    session.flush()
    return link.user


def create_api_token(session: Session, user: User, name: str = "", scope: str = "api") -> str:
    """A new token, returned once and stored hashed. Scope "calendar" opens only the ICS feed."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id, name=name, scope=scope, prefix=token[:12], token_hash=_digest(token)
        )
    )
    session.flush()
    audit.record(user, f"{scope}_token.create", user, name=name, prefix=token[:12])
    return token


def revoke_api_token(session: Session, api_token: ApiToken, *, actor: User | None = None) -> None:
    api_token.revoked_at = clock.now()
    session.flush()
    audit.record(actor, "api_token.revoke", api_token.user, prefix=api_token.prefix)


def user_for_api_token(session: Session, token: str, scope: str = "api") -> User | None:
    row = session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _digest(token),
            ApiToken.scope == scope,
            ApiToken.revoked_at.is_(None),
        )
    )
    if row is None or not row.user.active:
        return None
    now = clock.now()
    # Coarse, so that a busy client does not turn every read into a write.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
    return row.user
