# The exchange's application image: web (gunicorn), worker and scheduler all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=exchange.settings.production STATIC_ROOT=/app/staticfiles
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core gettext postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 techex
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --upgrade pip && mkdir -p exchange && pip install ".[production]" && pip uninstall -y hcmc-techex
COPY . .
# Static files are collected at build time (no secrets needed for that).
RUN DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py compiletranslations && \
    DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput \
 && chown -R techex /app
USER techex
EXPOSE 8000
CMD ["gunicorn", "exchange.wsgi", "--config", "deploy/gunicorn.conf.py"]
