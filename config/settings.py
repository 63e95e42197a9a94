"""Settings read from the environment (at app creation, not import), with defaults for SQLite."""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused in production
# Keys that have ever been written in this repository (defaults, examples, tests): anyone can
# read them, so a cookie signed with one can be forged. Production refuses every one of them.
PUBLIC_SECRET_KEYS = frozenset(
    {
        DEFAULT_SECRET_KEY,
        "testing-secret",
        "change-me-to-a-long-random-string-of-at-least-32-characters",
    }
)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name}={value!r}: expected a whole number") from None


def trusted_proxies(value: str | None) -> tuple[IPv4Network | IPv6Network, ...]:
    """TRACKER_TRUSTED_PROXIES: the addresses (or networks) of the reverse proxies in front of
    the app, comma-separated. Only a request coming from one of them may name its client in
    X-Forwarded-For."""
    networks = []
    for item in (value or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        if item.isdigit():
            raise RuntimeError(
                f"TRACKER_TRUSTED_PROXIES={item!r}: list the proxies' addresses "
                "(e.g. 127.0.0.1 or 172.16.0.0/12), not how many there are"
            )
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise RuntimeError(
                f"TRACKER_TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def normalize_db_url(url: str) -> str:
    # Plain postgres URLs go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# (setting, lowest, highest) of every number mail delivery depends on.
DELIVERY_LIMITS = (
    ("MAIL_PORT", 1, 65535),
    ("MAIL_TIMEOUT", 1, 600),
    ("TRACKER_SENDING_TIMEOUT", 3, 86400),
    ("TRACKER_RETRY_SECONDS", 1, 3600),
    ("TRACKER_REQUEUE_SECONDS", 10, 86400),
    ("TRACKER_SWEEP_MINUTES", 1, 1440),
)


def check_delivery_limits(settings: dict) -> None:
    """Refuse, at start, delivery settings outside their limits or at odds with each other."""
    for name, low, high in DELIVERY_LIMITS:
        value = settings.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise RuntimeError(f"{name}={value!r}: expected a whole number from {low} to {high}")
    mail, sending = settings["MAIL_TIMEOUT"], settings["TRACKER_SENDING_TIMEOUT"]
    if sending < 3 * mail:
        # A send is over one MAIL_TIMEOUT before the rescue may take its row; below three
        # timeouts a slow but healthy server would have its letter sent twice.
        raise RuntimeError(
            f"TRACKER_SENDING_TIMEOUT={sending} must be at least 3 × MAIL_TIMEOUT ({3 * mail})"
        )


class BaseConfig:
    """Every upper-case attribute becomes a Flask setting; see the README for each variable."""

    ENV_NAME = "base"

    def __init__(self) -> None:
        self.SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = normalize_db_url(
            env("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'tracker.sqlite'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env("REDIS_URL")
        self.TRACKER_TIMEZONE = env("TRACKER_TIMEZONE", "Europe/Moscow")
        self.TRACKER_BASE_URL = env("TRACKER_BASE_URL", "http://127.0.0.1:5000")
        self.TRACKER_UPLOAD_DIR = env("TRACKER_UPLOAD_DIR", str(ROOT / "var" / "uploads"))
        self.MAX_CONTENT_LENGTH = env_int("TRACKER_MAX_UPLOAD_MB", 40) * 1024 * 1024
        self.TRACKER_MAX_FILE_MB = env_int("TRACKER_MAX_FILE_MB", 15)
        # Failed logins only: per client address, and per account whatever the address.
        self.TRACKER_LOGIN_RATE_LIMIT = env("TRACKER_LOGIN_RATE_LIMIT", "5 per minute")
        self.TRACKER_LOGIN_ACCOUNT_RATE_LIMIT = env(
            "TRACKER_LOGIN_ACCOUNT_RATE_LIMIT", "10 per hour"
        )
        self.TRACKER_TRUSTED_PROXIES = trusted_proxies(env("TRACKER_TRUSTED_PROXIES", ""))
        self.TRACKER_INVITE_TTL_HOURS = env_int("TRACKER_INVITE_TTL_HOURS", 72)
        # The level of our own log records (tracker.*); libraries log warnings and above.
        self.LOG_LEVEL = env("LOG_LEVEL", "INFO")

        self.MAIL_SERVER = env("MAIL_SERVER", "localhost")
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USERNAME = env("MAIL_USERNAME")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
        self.MAIL_DEFAULT_SENDER = env(
            "MAIL_DEFAULT_SENDER", "Контроль поручений <noreply@tracker.local>"
        )
        self.MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)
        # A row «sending» for longer than this is taken as lost (its worker died) and resent.
        self.TRACKER_SENDING_TIMEOUT = env_int("TRACKER_SENDING_TIMEOUT", 300)
        self.TRACKER_SWEEP_MINUTES = env_int("TRACKER_SWEEP_MINUTES", 5)
        # First retry after a temporary mail failure; each next one waits twice as long.
        self.TRACKER_RETRY_SECONDS = env_int("TRACKER_RETRY_SECONDS", 30)
        # A row handed to the broker is handed again after this long if nobody took it (the
        # broker lost it: Redis restarted empty).
        self.TRACKER_REQUEUE_SECONDS = env_int("TRACKER_REQUEUE_SECONDS", 600)
        self.MAIL_SUPPRESS_SEND = env_bool("MAIL_SUPPRESS_SEND", False)
        # Without a broker, send in a background thread of the process that committed.
        self.TRACKER_DELIVER_INLINE = env_bool("TRACKER_DELIVER_INLINE", False)

        # Replies to letters (tracker.inbound): empty domain — letters carry no reply address.
        self.TRACKER_INBOUND_DOMAIN = env("TRACKER_INBOUND_DOMAIN", "")
        self.TRACKER_INBOUND_LOCAL = env("TRACKER_INBOUND_LOCAL", "reply")
        self.TRACKER_INBOUND_PLUS = env_bool("TRACKER_INBOUND_PLUS", True)
        self.TRACKER_INBOUND_TOKEN_DAYS = env_int("TRACKER_INBOUND_TOKEN_DAYS", 90)
        self.TRACKER_INBOUND_HOST = env("TRACKER_INBOUND_HOST", "127.0.0.1")
        self.TRACKER_INBOUND_PORT = env_int("TRACKER_INBOUND_PORT", 2525)
        self.TRACKER_INBOUND_TLS_CERT = env("TRACKER_INBOUND_TLS_CERT", "")
        self.TRACKER_INBOUND_TLS_KEY = env("TRACKER_INBOUND_TLS_KEY", "")
        self.TRACKER_IMAP_HOST = env("TRACKER_IMAP_HOST", "")
        self.TRACKER_IMAP_PORT = env_int("TRACKER_IMAP_PORT", 993)
        self.TRACKER_IMAP_USER = env("TRACKER_IMAP_USER", "")
        self.TRACKER_IMAP_PASSWORD = env("TRACKER_IMAP_PASSWORD", "")
        self.TRACKER_IMAP_FOLDER = env("TRACKER_IMAP_FOLDER", "INBOX")
        self.TRACKER_IMAP_CAFILE = env("TRACKER_IMAP_CAFILE", "")
        self.TRACKER_IMAP_MINUTES = env_int("TRACKER_IMAP_MINUTES", 5)

        self.BABEL_DEFAULT_LOCALE = env("TRACKER_LOCALE", "ru")
        self.BABEL_DEFAULT_TIMEZONE = self.TRACKER_TIMEZONE
        self.BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "tracker" / "translations")
        self.LANGUAGES = ("ru", "en")

        self.WTF_CSRF_ENABLED = True
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_DURATION = timedelta(days=env_int("TRACKER_REMEMBER_DAYS", 14))
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("TRACKER_SESSION_HOURS", 12))
        self.PREFERRED_URL_SCHEME = "http"
        self.TRACKER_HSTS = False

        self.API_TITLE = "Контроль исполнения решений — API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"

    def validate(self) -> None:
        """Refuse settings that would be unsafe for this environment."""
        check_delivery_limits(vars(self))


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "testing-secret"  # noqa: S105
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.REDIS_URL = None
        self.MAIL_SUPPRESS_SEND = True
        self.TRACKER_DELIVER_INLINE = True
        self.TRACKER_UPLOAD_DIR = str(Path(tempfile.gettempdir()) / "tracker-test-uploads")


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.PREFERRED_URL_SCHEME = "https"
        self.TRACKER_HSTS = True

    def validate(self) -> None:
        super().validate()
        key = self.SECRET_KEY or ""
        if len(key) < 32 or key in PUBLIC_SECRET_KEYS or "change-me" in key.lower():
            raise RuntimeError(
                "SECRET_KEY must be a random string of at least 32 characters in production, "
                "and not one written anywhere in the repository (.env.example, the README): "
                "generate one with  python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None = None) -> BaseConfig:
    name = name or env("TRACKER_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise RuntimeError(
            f"Unknown TRACKER_ENV {name!r}; use one of {', '.join(CONFIGS)}"
        ) from None
