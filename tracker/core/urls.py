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
    """An absolute link for e-mails and feeds, built on TRACKER_BASE_URL (not the request host),
    inside or outside a request (the scheduler and Celery have none)."""
    from flask import current_app

    base = urlsplit(current_app.config["TRACKER_BASE_URL"].rstrip("/"))
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def app_path(endpoint: str, **values: object) -> str:
    """A path inside the app («/assignments/42»), inside or outside a request: what a
    notification stores, so it opens on whatever host the reader uses."""
    from flask import current_app

    return current_app.url_map.bind("localhost").build(endpoint, values)
