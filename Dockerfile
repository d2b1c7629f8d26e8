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
RUN pip install --no-cache-dir .
ENV LINLI_HOST=0.0.0.0
EXPOSE 8000
CMD ["linli", "serve"]
