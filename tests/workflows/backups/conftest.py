"""A local S3-compatible server for the backup tests: moto's standalone server (`moto[server]`), a real HTTP server
on 127.0.0.1 speaking S3, started per test module and stopped after."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from linli.localhost import free_port, wait_for_port


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str = "linli-test"
    secret_key: str = "linli-test-secret"
    region: str = "us-east-1"

    def new_bucket(self) -> str:
        import boto3

        name = f"linli-backups-{uuid.uuid4().hex[:10]}"
        boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region, aws_access_key_id=self.access_key,
                     aws_secret_access_key=self.secret_key).create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for_port(port, process, timeout_s=60):
            raise RuntimeError("moto's S3 server did not start")
        yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
