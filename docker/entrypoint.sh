#!/usr/bin/env bash
# Runs before every command of the image. The web container (SETUP_ON_START=true)
# first brings the database, the catalogue and the static files up to date;
# worker and beat start straight away and wait for web to be healthy
# (depends_on in docker-compose.yml), so only one container migrates.
set -euo pipefail

if [ "${SETUP_ON_START:-false}" = "true" ]; then
    python manage.py migrate --noinput
    shopt -s nullglob
    catalogues=(certification/catalogues/*.yaml)
    if [ "${#catalogues[@]}" -gt 0 ]; then
        python manage.py load_catalogue "${catalogues[@]}"
    fi
    python manage.py collectstatic --noinput --verbosity 0
fi

exec "$@"
