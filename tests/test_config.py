import pytest

from config import config_for
from config.settings import DEFAULT_SECRET_KEY
from tracker import create_app


def test_environment_overrides_every_setting(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/x")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.org")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    monkeypatch.setenv("MAIL_DEFAULT_SENDER", "uo@example.org")
    monkeypatch.setenv("TRACKER_TIMEZONE", "Asia/Vladivostok")
    config = config_for("development")
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db:5432/x"
    assert config.REDIS_URL == "redis://cache:6379/0"
    assert (config.MAIL_SERVER, config.MAIL_PORT, config.MAIL_USE_TLS) == (
        "smtp.example.org",
        2525,
        True,
    )
    assert config.MAIL_DEFAULT_SENDER == "uo@example.org"
    assert config.TRACKER_TIMEZONE == "Asia/Vladivostok"


def test_empty_redis_url_means_no_broker(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    assert config_for("development").REDIS_URL is None


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("TRACKER_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_hardens_cookies_and_sends_hsts(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/auth/login")
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "staging")
    with pytest.raises(RuntimeError, match="TRACKER_ENV"):
        config_for()
