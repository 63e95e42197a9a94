"""WSGI entry point: `gunicorn wsgi:app`; the Celery worker uses `celery -A wsgi:celery worker`."""

import gc

from tracker import create_app

app = create_app()
celery = app.extensions["celery"]
# The app's own objects (modules, mappers, templates' code) live as long as the process: out of
# the collector's sight, a full collection no longer walks them while a page is being rendered.
gc.freeze()
