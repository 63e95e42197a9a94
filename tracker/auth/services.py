"""Passwords (Argon2id), one-time links and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from tracker.auth.models import ApiToken, LoginSession, OneTimeLink
from tracker.core import audit, clock
from tracker.core.errors import Refused
from tracker.core.i18n import _
from tracker.core.tenancy import User
from tracker.orgs.services import normalize_email, require_person

hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 10
API_TOKEN_PREFIX = "trk_"  # noqa: S105 - a prefix, not a secret


class AuthError(Refused):
    """A refusal with a Russian message for the user."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(_("Пароль должен быть не короче %(n)s символов.", n=MIN_PASSWORD_LENGTH))
    if password.isdigit() or password.isalpha():
        raise AuthError(_("Пароль должен содержать и буквы, и цифры или другие знаки."))


def _on_behalf(actor: User | None, user: User) -> User:
    """Who acts on `user`'s credentials: the person (`actor` None or themself), or someone who
    may manage them (the system actor included); anyone else is refused."""
    if actor is None or actor.id == user.id:
        return user
    require_person(actor, user)
    return actor


def set_password(session: Session, user: User, password: str, *, actor: User | None = None) -> None:
    """A new password ends every session and revokes every token the old one let anyone make."""
    actor = _on_behalf(actor, user)
    check_password_strength(password)
    user.password_hash = hasher.hash(password)
    user.session_version += 1
    revoked = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    ).rowcount
    session.flush()
    audit.record(actor, "user.password_set", user, tokens_revoked=revoked)


def start_session(session: Session, user: User, *, remember: bool, lifetime: timedelta) -> str:
    """A login session for `user`; returns the identity Flask-Login keeps in the cookie."""
    token = secrets.token_urlsafe(24)
    now = clock.wall()
    session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_digest(token),
            remember=remember,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    user.login_token = token
    return user.get_id()


def user_for_session(session: Session, identity: str) -> User | None:
    """The user of a live login session named by a cookie's identity, else None."""
    parts = identity.split(":")
    if len(parts) != 3 or not all(part.isdigit() and len(part) < 10 for part in parts[:2]):
        return None
    user_id, version, token = parts
    row = session.scalar(
        sa.select(LoginSession).where(
            LoginSession.token_hash == _digest(token),
            LoginSession.user_id == int(user_id),
            LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > clock.wall(),
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or str(user.session_version) != version:
        return None
    user.login_token = token
    return user


def end_session(session: Session, user: User) -> None:
    """Logout: the session (and a «remember me» cookie naming it) stops working at once."""
    if user.login_token:
        session.execute(
            sa.update(LoginSession)
            .where(
                LoginSession.token_hash == _digest(user.login_token),
                LoginSession.revoked_at.is_(None),
            )
            .values(revoked_at=clock.wall())
        )
    audit.record(user, "auth.logout", user)


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
    """A one-time link token (returned once, stored hashed); earlier unused links of the same
    purpose stop working (a reset request leaves a pending invitation alone). Without `actor`
    the person asked for it themself («Забыли пароль»)."""
    if actor is not None:
        _on_behalf(actor, user)
    now = clock.now()
    session.execute(
        sa.update(OneTimeLink)
        .where(
            OneTimeLink.user_id == user.id,
            OneTimeLink.purpose == purpose,
            OneTimeLink.used_at.is_(None),
        )
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


def request_reset(session: Session, email: str, ttl_hours: int) -> None:
    """«Забыли пароль»: a reset link to an active account with this address; nothing otherwise.
    Runs after the answer has gone out, so the answer does not depend on the address."""
    from tracker.auth.notifications import send_reset_link

    user = session.scalar(
        sa.select(User).where(User.email == normalize_email(email), User.active.is_(True))
    )
    if user is None:
        return
    send_reset_link(user, issue_link(session, user, "reset", ttl_hours))


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
    # Whichever link set the password, the others (an invitation, a reset) are spent too.
    session.execute(
        sa.update(OneTimeLink)
        .where(OneTimeLink.user_id == link.user_id, OneTimeLink.used_at.is_(None))
        .values(used_at=clock.now())
    )
    session.flush()
    return link.user


def create_api_token(
    session: Session, user: User, name: str = "", scope: str = "api", *, actor: User | None = None
) -> str:
    """A new token, returned once and stored hashed. Scope "calendar" opens only the ICS feed."""
    actor = _on_behalf(actor, user)
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id, name=name, scope=scope, prefix=token[:12], token_hash=_digest(token)
        )
    )
    session.flush()
    audit.record(actor, f"{scope}_token.create", user, name=name, prefix=token[:12])
    return token


def revoke_api_token(session: Session, api_token: ApiToken, *, actor: User | None = None) -> None:
    actor = _on_behalf(actor, api_token.user)
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
