# syntax=docker/dockerfile:1
# chatops-bot: the Slack app as a container image (docs/OPERATIONS.md, "Container").
#
#   docker build -t chatops-bot .
#   docker run --env-file .env -p 3000:3000 -v chatops-data:/data chatops-bot
#
# Two stages: `build` makes a venv at /opt/chatops with scripts/install.sh (the project's
# wheel plus the pinned, hash-checked dependencies of deploy/lock/runtime.txt; CI runs the
# same script in a fresh venv); `runtime` copies that venv onto a clean base and runs it as
# an unprivileged user. No secret is read at build time: settings come from the environment
# at run time (.dockerignore keeps .env out of the build context).
# Pin the base by digest for reproducible builds, e.g. --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:…
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY deploy/lock/ deploy/lock/
COPY scripts/install.sh scripts/install.sh
COPY pyproject.toml README.md LICENSE ./
COPY bot/ bot/
COPY handlers/ handlers/
RUN ["bash", "scripts/install.sh", "/opt/chatops"]

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="chatops-bot" \
      org.opencontainers.image.description="Slack app for MetTel Bruin tickets and Bric projects" \
      org.opencontainers.image.licenses="LicenseRef-Proprietary"
RUN groupadd --system --gid 10001 chatops \
    && useradd --system --uid 10001 --gid chatops --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin chatops \
    && install -d -o chatops -g chatops -m 0750 /data
COPY --from=build /opt/chatops /opt/chatops
COPY scripts/healthcheck.py /opt/chatops/healthcheck.py
# Settings that describe the container, never secrets (those come from --env-file / Secrets).
ENV PATH="/opt/chatops/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    CHATOPS_DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json
WORKDIR /data
# The SQLite store (when DATABASE_URL is unset) and sandbox state live here.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 3000
# SIGTERM: /readyz turns 503 at once, accepted work drains (bounded), the poller lease is
# released, exit 0. Give the container at least 30 s to stop (docker stop -t 30,
# compose stop_grace_period, Kubernetes terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "/opt/chatops/healthcheck.py"]
ENTRYPOINT ["chatops-bot"]
CMD ["run"]
