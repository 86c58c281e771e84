# procureflow service image. One image serves every role; the subcommand picks it:
#
#   docker build -t procureflow .
#   docker run --rm procureflow --help
#   docker run ... procureflow migrate | api | worker
#
# Configuration is by environment (DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
# PROCURE_TASK_QUEUE, PROCURE_TEMPORAL_UI_URL); see deploy/README.md.

ARG PYTHON_IMAGE=python:3.11-slim

# --------------------------------------------------------------------------------------
# build: install the project and its runtime dependencies (no dev extras) into a
# self-contained virtualenv that the runtime stage copies as one directory.
# --------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, read from pyproject.toml alone, so that editing the source does
# not re-download them: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print(*deps, sep=chr(10))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# Then the project itself (a regular, non-editable install; .dockerignore keeps the
# context to pyproject.toml, README.md and the packages).
COPY . .
RUN pip install --no-deps . \
 && pip check \
 && procure --help > /dev/null

# --------------------------------------------------------------------------------------
# runtime: the same slim base, the virtualenv, and an unprivileged user.
# --------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ARG APP_UID=10001
RUN groupadd --system --gid "${APP_UID}" procure \
 && useradd --system --uid "${APP_UID}" --gid procure \
        --home-dir /home/procure --create-home --shell /usr/sbin/nologin procure

COPY --from=build /opt/venv /opt/venv

# PROCURE_API_HOST: the service binds 127.0.0.1 by default (right for `procure dev` on a
# laptop); inside a container it must listen on all interfaces to be reachable.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PROCURE_API_HOST=0.0.0.0 \
    PROCURE_API_PORT=8000

WORKDIR /home/procure
# Numeric, so orchestrators that enforce runAsNonRoot can verify it without /etc/passwd.
USER ${APP_UID}:${APP_UID}

EXPOSE 8000

# SIGINT rather than SIGTERM: Python turns it into a cancellation of the asyncio main
# task, which uvicorn answers by draining requests and the Temporal worker by shutting
# down gracefully (finishing its current workflow tasks) before the process exits.
STOPSIGNAL SIGINT

# Liveness of the API process only (GET /readyz is the one that also checks PostgreSQL
# and Temporal). slim has no curl, so use the interpreter that is already there. The
# worker and migrate roles have no HTTP port: disable this check for them
# (docker-compose.yml does) or it will report them unhealthy.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PROCURE_API_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["procure"]
CMD ["api"]
