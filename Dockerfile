# Three stages: the web stage builds the browser pages (`npm ci && npm run build`, types
# generated from schema.graphql); the build stage compiles what has no wheel (pyscard: swig, gcc and the PC/SC
# headers) and installs exactly what requirements.lock pins, with hashes, into a virtualenv;
# the runtime stage copies that virtualenv and the pages' build (served from WEB_DIR), adds only the PC/SC runtime library and runs as
# an unprivileged user. Data (embedded servers when no URL is given, the demo's message
# files) lives under /data, photos under /data/blobs: compose mounts volumes there.

FROM node:20-slim AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema.graphql /src/schema.graphql
COPY frontend ./
RUN npm run build

FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential swig libpcsclite-dev \
    && rm -rf /var/lib/apt/lists/*
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /src/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes -r /src/requirements.lock
COPY pyproject.toml README.md /src/
COPY domain /src/domain
COPY projections /src/projections
COPY api /src/api
COPY adapters /src/adapters
COPY workers /src/workers
COPY app /src/app
COPY audit /src/audit
COPY cli /src/cli
COPY identity /src/identity
COPY privacy /src/privacy
COPY reader /src/reader
RUN /opt/venv/bin/pip install --no-deps /src \
    && /opt/venv/bin/python -c "import smartcard.System, cli.main"

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpcsclite1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin infoshkola \
    && mkdir -p /app /data/blobs \
    && chown -R infoshkola:infoshkola /app /data
COPY --from=build /opt/venv /opt/venv
COPY --from=web /src/frontend/dist /app/web
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 INFOSHKOLA_VAR=/data BLOB_DIR=/data/blobs \
    WEB_DIR=/app/web
WORKDIR /app
USER infoshkola
VOLUME ["/data"]
ENTRYPOINT ["infoshkola"]
CMD ["--help"]
