# The ethics scoring API: `docker build -t ethics-api .` then
#   docker run -p 8000:8000 -v ethics-data:/data ethics-api
# The database is a SQLite file on the /data volume unless ETHICS_DATABASE_URL names another
# (e.g. postgresql+psycopg://user:password@host/db). The container migrates it on start.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# An unprivileged user that owns nothing but the data volume.
RUN groupadd --system --gid 10001 ethics \
    && useradd --system --uid 10001 --gid ethics --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin ethics \
    && mkdir -p /data \
    && chown ethics:ethics /data

WORKDIR /app

COPY pyproject.toml README.md ./
COPY ethics_api/ ethics_api/
COPY criteria/ criteria/
RUN pip install --no-cache-dir .

ENV ETHICS_DATABASE_URL=sqlite:////data/ethics.db
# A criteria file that breaks a rule fails the build, not the first start.
RUN ethics-api criteria check

VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000

# Slim images have no curl: probe with the standard library (any error or non-2xx exits 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Migrates the database, then runs gunicorn (SIGTERM stops it gracefully).
CMD ["ethics-api", "serve", "--bind", "0.0.0.0:8000"]
