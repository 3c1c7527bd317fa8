# syntax=docker/dockerfile:1
#
# Allot as a container image: `docker build -t allot .`, then see compose.yaml and
# docs/deployment.md. Two stages: the first builds Allot's wheel and the wheels of everything it
# depends on; the second installs them, from that wheelhouse only, into a slim image that runs
# as an unprivileged user. tests/deploy/test_docker_files.py checks what tends to rot here.

ARG PYTHON_VERSION=3.11

# --- build: the wheelhouse -----------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
# Only what the wheel is built from (.dockerignore keeps everything else out of the context).
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
COPY schema ./schema
COPY bot ./bot
COPY allot ./allot

# `pip wheel .` builds Allot's wheel (in an isolated build environment with the setuptools that
# pyproject.toml asks for) and downloads or builds the wheel of every dependency.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --wheel-dir /wheels .

# --- runtime -------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PATH=/opt/allot/bin:$PATH \
    ALLOT_HOST=0.0.0.0 \
    ALLOT_PORT=8000

# The wheelhouse is mounted for this one step, so no layer keeps it; --no-index: nothing comes
# from anywhere but the wheels built above.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/allot \
    && /opt/allot/bin/pip install --no-cache-dir --no-index --find-links=/wheels allot \
    && groupadd --system --gid 10001 allot \
    && useradd --system --uid 10001 --gid allot --home-dir /var/lib/allot --create-home \
        --shell /usr/sbin/nologin allot

# A SQLite file (the default ALLOT_DATABASE_URL, sqlite://allot.db) and a .env file would live
# here; with PostgreSQL (compose.yaml) nothing is written.
WORKDIR /var/lib/allot
USER 10001:10001

EXPOSE 8000

# /healthz is liveness: 200 while the process answers (/readyz, which also checks the database
# and the migrations, is for load balancers). The slim image has no curl: Python's urllib
# raises on a non-2xx answer or on none, and the uncaught error exits 1 (unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["allot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
