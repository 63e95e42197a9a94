from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def external_url(endpoint: str, **values: object) -> str:
    """An absolute link for e-mails and feeds, built on TRACKER_BASE_URL (not the request host)."""
    from flask import current_app, url_for

    return current_app.config["TRACKER_BASE_URL"].rstrip("/") + url_for(endpoint, **values)
