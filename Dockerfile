# One image runs the web server, the Celery worker and the scheduler (docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=wsgi.py TRACKER_ENV=production
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN pybabel -q compile -f -d tracker/translations \
    && useradd --system --home /app tracker \
    && mkdir -p /app/var/uploads && chown -R tracker /app/var
USER tracker

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "wsgi:app"]
