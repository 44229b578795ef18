# commentsvc: one container with everything a site needs. Without
# COMMENTSVC_REDIS_URL / COMMENTSVC_DATABASE_URL it runs on its embedded defaults
# (SQLite + an embedded Redis server), all data in the /data volume:
#   docker run -p 8080:8080 -v data:/data -e COMMENTSVC_SITES=https://blog.example.com IMAGE

FROM python:3.11.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, from pyproject.toml alone: changing the source does not
# reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && pip install --requirement requirements.txt
COPY README.md ./
COPY commentsvc ./commentsvc
COPY embed ./embed
RUN pip install --no-deps .

FROM python:3.11.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    COMMENTSVC_DATA_DIR=/data \
    COMMENTSVC_WORKERS=4 \
    COMMENTSVC_WORKER_TIMEOUT_SECONDS=30
RUN groupadd --system --gid 10001 commentsvc \
    && useradd --system --uid 10001 --gid commentsvc --home-dir /data --no-create-home commentsvc \
    && mkdir /data \
    && chown commentsvc:commentsvc /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"]
# SIGTERM: gunicorn lets in-flight requests finish (COMMENTSVC_WORKER_TIMEOUT_SECONDS),
# then the embedded Redis server saves its data and stops; a SIGTERM during start-up
# stops it too. Docker kills after 10 s unless `docker run --stop-timeout 40`
# (compose.yaml: stop_grace_period). tests/test_container.py runs this CMD with this
# ENV and checks all of it.
STOPSIGNAL SIGTERM
CMD ["commentsvc", "serve", "--host", "0.0.0.0", "--port", "8080"]
