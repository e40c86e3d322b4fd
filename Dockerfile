# Gau production image: one image for every role, chosen by the command.
#
#   web (default):  gunicorn on $PORT (default 8000); WEB_CONCURRENCY worker processes (default 2),
#                   GUNICORN_THREADS threads each (default 4), GUNICORN_TIMEOUT (30 s) per request,
#                   GUNICORN_GRACEFUL_TIMEOUT (25 s) to drain after SIGTERM; extra flags via GUNICORN_CMD_ARGS.
#   realtime:       live board events (SSE) on an ASGI server, one coroutine per open stream
#                   (docs/decisions/0004-realtime-server.md); route /api/v2/kanban/boards/*/events here:
#                   docker run ... gau sh -c "exec uvicorn gau.asgi:application --host 0.0.0.0 --port \$PORT"
#                   gunicorn reads /app/gunicorn.conf.py: with GAU_METRICS=true it runs Prometheus's
#                   multiprocess mode (PROMETHEUS_MULTIPROC_DIR; README "Operations: metrics").
#                   gunicorn.conf.py also sets up tracing per worker and an access log without query strings.
#   Tracing:        set OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_* variables), see README.
#   Celery worker:  docker run ... gau celery -A gau worker -Q default,email -l info
#   Celery beat:    docker run ... gau celery -A gau beat -l info --schedule /tmp/celerybeat-schedule
#   Migrations:     docker run ... gau python manage.py migrate --noinput
#
# Configuration comes from the environment (see README): at least SECRET_KEY, DATABASE_URL, REDIS_URL,
# CELERY_BROKER_URL, ALLOWED_HOSTS and PUBLIC_BASE_URL in production. The HEALTHCHECK calls
# http://127.0.0.1:$PORT/healthz, so keep 127.0.0.1 in ALLOWED_HOSTS (the default list has it).
#
# The image runs as the unprivileged user gau (UID/GID 10001) and writes only to the VOLUME paths below, so
# the root filesystem can be read-only (docker run --read-only; the Helm chart's readOnlyRootFilesystem with
# an emptyDir on each). tests/test_chart_image.py checks this file against the chart and runs its commands.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000 \
    WEB_CONCURRENCY=2 \
    GUNICORN_THREADS=4 \
    GUNICORN_TIMEOUT=30 \
    GUNICORN_GRACEFUL_TIMEOUT=25 \
    PROMETHEUS_MULTIPROC_DIR=/app/var/prometheus

WORKDIR /app

# Every runtime dependency ships a manylinux wheel (psycopg[binary], pillow, argon2-cffi, orjson),
# so no compiler is needed. Installed before the code is copied so the layer is cached.
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN groupadd --system --gid 10001 gau \
    && useradd --system --uid 10001 --gid gau --home-dir /app --shell /usr/sbin/nologin gau

# Code and collected static files stay owned by root (read-only for the app user); only the writable
# paths (media without S3, the metrics of the gunicorn worker processes) belong to gau.
COPY . .

# Static files are collected at build time (served by WhiteNoise). The key is a throwaway used only
# for this step; the real one comes from the environment at run time.
RUN SECRET_KEY=collectstatic-only-build-key-not-used-at-runtime-0000 DEBUG=false \
    python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /app/var/media /app/var/prometheus \
    && chown gau:gau /app/var/media /app/var/prometheus

# Numeric, so the kubelet can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
# Everything the app writes: temporary files, local media (without S3), PROMETHEUS_MULTIPROC_DIR.
VOLUME ["/tmp", "/app/var/media", "/app/var/prometheus"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]

# sh -c so $PORT and friends are read at start; exec so gunicorn is PID 1 and gets SIGTERM. No control
# socket: it would go to $HOME/.gunicorn, on the read-only root filesystem.
CMD ["sh", "-c", "exec gunicorn gau.wsgi --bind 0.0.0.0:${PORT} --worker-class gthread --workers ${WEB_CONCURRENCY} --threads ${GUNICORN_THREADS} --timeout ${GUNICORN_TIMEOUT} --graceful-timeout ${GUNICORN_GRACEFUL_TIMEOUT} --keep-alive 5 --max-requests 5000 --max-requests-jitter 500 --access-logfile - --worker-tmp-dir /dev/shm --no-control-socket"]
