# For operators (compose.yaml); development and CI need no Docker.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY workflows workflows
COPY devices devices
COPY knowledge knowledge
COPY bot bot
COPY backoffice backoffice
COPY linli linli
# gcc only to build the embedding engine (knowledge/e5fast); its OpenMP runtime (libgomp1) stays.
# postgresql-client: pg_dump and pg_restore for `linli backup` (数据备份与灾备).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libgomp1 postgresql-client \
 && pip install --no-cache-dir . \
 && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV LINLI_HOST=0.0.0.0
EXPOSE 8000
CMD ["linli", "serve"]
