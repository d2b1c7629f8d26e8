"""`linli worker` answers no owner directly, so it starts without loading the embedding model (issue #21: four
processes loading it at once made the production shape slow to start); a loop that needs it loads it then — here an
FAQ entry added to the table, which the worker's index sync embeds. A web process still loads it before serving."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.services import linli_env

SCRIPT = """
import asyncio, json, sys
from knowledge.embeddings import _load_model
from linli.app import create_app
from workflows.db import transaction
from workflows.faq.service import create_entry
from workflows.settings import Settings

async def main(warm):
    app = create_app(Settings(), start_loops=True, warm=warm)
    seen = {}
    async with app.router.lifespan_context(app):
        sync = app.state.index_sync
        await sync.sync()
        seen["started"] = _load_model.cache_info().currsize
        seen["in_step"] = sync.status.in_step
        async with transaction(app.state.runtime.sessions) as session:
            await create_entry(session, community_id=1, question="快递柜在哪里？", answer="在南门岗亭旁边。",
                               staff_id=1)
        await sync.sync()
        seen["after_edit"] = _load_model.cache_info().currsize
        seen["in_step_after"] = sync.status.in_step
    print(json.dumps(seen))

asyncio.run(main(sys.argv[1] == "warm"))
"""


def run(settings, how: str) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, how], env=linli_env(settings), capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_loads_the_model_only_when_a_loop_needs_it(settings, chroma_template) -> None:
    shutil.copytree(chroma_template, settings.chroma_path)  # the index in step with the demo FAQ table
    seen = run(settings, "worker")
    assert seen == {"started": 0, "in_step": True, "after_edit": 1, "in_step_after": True}


def test_a_web_process_loads_the_model_before_serving(settings, chroma_template) -> None:
    shutil.copytree(chroma_template, settings.chroma_path)
    assert run(settings, "warm")["started"] == 1
