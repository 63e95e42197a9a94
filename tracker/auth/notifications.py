"""E-mails of the auth part: one function per event, one template pair each."""

from tracker.core import clock
from tracker.core.tenancy import User
from tracker.core.urls import external_url
from tracker.extensions import db
from tracker.notify.services import queue_mail


def send_invitation(user: User, token: str, inviter: User | None) -> None:
    queue_mail(
        db.session,
        recipient=user,
        kind="auth.invite",
        key=f"user:{user.id}:invite:{clock.now().isoformat()}",
        template="invite",
        context={"link": external_url("auth.use_link", token=token), "inviter": inviter},
    )


def send_reset_link(user: User, token: str) -> None:
    queue_mail(
        db.session,
        recipient=user,
        kind="auth.reset",
        key=f"user:{user.id}:reset:{clock.now().isoformat()}",
        template="password_reset",
        context={"link": external_url("auth.use_link", token=token)},
    )
