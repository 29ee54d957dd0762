# The application image: web (gunicorn), worker and beat all run from it.
# docker-compose.yml wires it to PostgreSQL and Redis.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    VAR_DIR=/var/lib/familienzentrum \
    PRIVATE_MEDIA_ROOT=/var/lib/familienzentrum/private

# WeasyPrint renders through Pango (and subsets fonts with HarfBuzz); the PDFs
# need a font with German glyphs. gettext compiles the translations below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. The
# project declares no packages: installing "." pulls exactly its dependencies,
# pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt .

# The code stays owned by root and read-only for the app user; only the
# static files, the beat schedule and the private media are writable.
COPY . .
RUN chmod 0755 docker/entrypoint.sh \
    && if find . -name '*.po' -print -quit | grep -q .; then python manage.py compilemessages; fi \
    && mkdir -p /app/staticfiles /var/lib/familienzentrum/private /var/lib/celery \
    && chown -R app:app /app/staticfiles /var/lib/familienzentrum /var/lib/celery

USER app
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000"]
