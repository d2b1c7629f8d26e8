"""`linli backup`, `list`, `verify` and `restore` as an operator types them; after a restore the FAQ index is rebuilt
from the restored FAQ table."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from typer.testing import CliRunner

from linli.cli import app
from workflows.backups.crypto import new_key
from workflows.db import transaction
from workflows.faq.models import FaqEntry
from workflows.runtime import Runtime

ENV = {"database_url": "LINLI_DATABASE_URL", "media_dir": "LINLI_MEDIA_DIR", "chroma_path": "LINLI_CHROMA_PATH"}


async def invoke(*args: str):
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


@pytest.mark.timeout(600)  # the restore rebuilds the FAQ index with the real model
async def test_backup_verify_and_restore_from_the_command_line(settings, chroma_template, tmp_path, monkeypatch):
    runtime = Runtime.from_settings(settings)
    async with transaction(runtime.sessions) as session:
        session.add(FaqEntry(community_id=None, source="备份演练.csv", question="小区几点关大门？",
                             answer="晚上 11 点关大门，之后请刷卡从东门进出。", content_hash="drill-1"))
    await runtime.close()
    for field, name in ENV.items():
        monkeypatch.setenv(name, getattr(settings, field))
    monkeypatch.setenv("LINLI_BACKUP_DESTINATION", str(tmp_path / "nas"))
    monkeypatch.setenv("LINLI_BACKUP_KEY", new_key())

    made = await invoke("backup")
    assert made.exit_code == 0 and "backup linli-" in made.output, made.output
    listed = await invoke("backup", "list")
    assert listed.output.strip().startswith("linli-") and listed.output.strip().endswith(".tar.gz.enc")
    verified = await invoke("backup", "verify")
    assert verified.exit_code == 0 and "verified" in verified.output and "identical" in verified.output

    new_machine = tmp_path / "new-machine"
    shutil.copytree(chroma_template, new_machine / "chroma")  # the labelled sentences' vectors, not the FAQ
    monkeypatch.setenv("LINLI_CHROMA_PATH", str(new_machine / "chroma"))
    target = f"sqlite+aiosqlite:///{new_machine / 'linli.db'}"
    restored = await invoke("backup", "restore", "--database-url", target, "--media-dir", str(new_machine / "media"))
    assert restored.exit_code == 0, restored.output
    assert "restored linli-" in restored.output and "FAQ index rebuilt from the restored table: 1 entries" in \
        restored.output
    again = await invoke("backup", "restore", "--database-url", target)
    assert again.exit_code == 1 and "not empty" in again.output
