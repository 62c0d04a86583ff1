FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpcsclite1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY projections projections
COPY api api
COPY adapters adapters
COPY workers workers
COPY app app
COPY audit audit
COPY cli cli
COPY identity identity
COPY reader reader
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
ENTRYPOINT ["infoshkola"]
