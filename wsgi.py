"""WSGI entry point: `gunicorn wsgi:app`; the Celery worker uses `celery -A wsgi:celery worker`."""

from tracker import create_app

app = create_app()
celery = app.extensions["celery"]
