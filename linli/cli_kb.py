"""`linli kb`: import knowledge files, re-index, evaluate. Glues knowledge (parsing, index) to workflows.faq
(the system of record): a file is parsed completely first (any problem: the per-row report, nothing imported), then
its entries are written in one transaction (idempotent by content hash, deletions applied) and the index is synced
before that transaction commits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import select

from workflows.settings import Settings

kb_app = typer.Typer(help="The FAQ knowledge base: import, reindex, evaluate.", no_args_is_help=True)
console = Console()
DEMO = Path(__file__).resolve().parent.parent / "knowledge" / "demo"
DEMO_FILES = {  # community code (None: shared) -> [(file, citation title)]
    "YGHY": [("yghy_faq.csv", "物业服务指南"), ("停车管理办法.md", None), ("装修管理规定.md", None),
             ("管理规约.md", None)],
    "CHY": [("chy_faq.csv", "翠湖苑物业服务指南")],
    None: [("shared_faq.csv", "邻里使用说明")],
}


class ImportRefused(Exception):
    """The file has problems; nothing was imported. `problems` is the per-row report."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ImportOutcome:
    source: str
    title: str
    added: int
    removed: int
    unchanged: int
    indexed: int


async def import_knowledge_file(settings: Settings, path: str | Path, *, community_code: str | None,
                                title: str | None = None,
                                on_progress: Callable[[int, int], None] | None = None,
                                assistant: Any = None) -> ImportOutcome:
    """Parse, store (one transaction) and index one file for a community (None: shared by every community);
    `assistant`: the process's knowledge.assistant.Assistant (default: one built for this import)."""
    from knowledge.assistant import build_assistant
    from knowledge.entries import KnowledgeEntry
    from knowledge.importers import parse_file
    from workflows.db import transaction
    from workflows.faq.service import FaqDraft, sync_source
    from workflows.runtime import Runtime

    parsed = parse_file(path, title=title)
    if not parsed.ok:
        raise ImportRefused(parsed.problems)
    drafts = [FaqDraft(question=d.question, answer=d.answer, category=d.category, alternatives=d.alternatives,
                       citation=d.citation, kind=d.kind) for d in parsed.drafts]
    assistant = assistant or build_assistant(settings)
    runtime = Runtime.from_settings(settings)
    try:
        async with transaction(runtime.sessions) as session:
            community_id = await _community_id(session, community_code)
            report = await sync_source(session, community_id=community_id, source=parsed.source, drafts=drafts)
            entries = [KnowledgeEntry.from_row(row) for row in report.added + report.unchanged]
            indexed = 0
            for start in range(0, len(entries), 16):
                indexed += await assistant.index_entries(entries[start:start + 16])
                if on_progress:
                    on_progress(min(start + 16, len(entries)), len(entries))
            await assistant.remove_entries([str(i) for i in report.removed_ids])
    finally:
        await runtime.close()
    return ImportOutcome(source=parsed.source, title=parsed.title, added=len(report.added),
                         removed=len(report.removed_ids), unchanged=len(report.unchanged), indexed=indexed)


async def _community_id(session, code: str | None) -> int | None:
    from workflows.community.models import Community

    if code is None:
        return None
    community_id = await session.scalar(select(Community.id).where(Community.code == code))
    if community_id is None:
        codes = list(await session.scalars(select(Community.code)))
        raise typer.BadParameter(f"no community with code {code}; known: {', '.join(codes)}")
    return community_id


async def seed_demo_knowledge(settings: Settings) -> int:
    """The demo FAQ and documents (阳光花园, 翠湖苑, shared); returns how many entries were added. Idempotent."""
    from knowledge.assistant import build_assistant

    assistant = build_assistant(settings)
    added = 0
    for code, files in DEMO_FILES.items():
        for name, title in files:
            outcome = await import_knowledge_file(settings, DEMO / name, community_code=code, title=title,
                                                  assistant=assistant)
            added += outcome.added
    # Unchanged entries cost nothing here; after the embedder changed, its new collection is filled.
    await reindex(settings, assistant)
    await warm_assistant(assistant)
    return added


async def warm_assistant(assistant: Any) -> None:
    """Embed the labelled sentences (intent examples, out-of-scope class) now and keep them in Chroma, so a server
    started afterwards reads them back instead of spending its first seconds on them."""
    from bot.registry import default_registry

    await asyncio.to_thread(assistant.warm, default_registry().intent_specs())


async def reindex(settings: Settings, assistant: Any = None) -> tuple[int, int]:
    """Make the index exactly the FAQ table (linli.knowledge_sync): (re)index what is missing or changed, drop ids
    the table no longer has. Returns (entries (re)indexed, entries removed)."""
    from knowledge.assistant import build_assistant
    from linli.knowledge_sync import IndexSync
    from workflows.runtime import Runtime

    assistant = assistant or build_assistant(settings)
    runtime = Runtime.from_settings(settings)
    try:
        changed, removed = await IndexSync(runtime.sessions, assistant).sync()
    finally:
        await runtime.close()
    return changed, removed


@kb_app.command("import")
def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help=".csv / .xlsx (问题,答案,分类,相似问法) or .md / .txt"),
    community: str = typer.Option("YGHY", help="community code; ignored with --shared"),
    shared: bool = typer.Option(False, help="entries shared by every community"),
    title: str = typer.Option(None, help="the name cited in answers, e.g. 物业服务指南 (default: the file's title)"),
) -> None:
    """Import (or re-import) one knowledge file: idempotent, deletions applied, nothing half-imported."""
    settings = Settings()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as progress:
        task = progress.add_task(f"importing {file.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            outcome = asyncio.run(import_knowledge_file(settings, file, community_code=None if shared else community,
                                                        title=title, on_progress=advance))
        except ImportRefused as refused:
            progress.stop()
            console.print(f"[red]{file.name}: nothing imported, please fix these rows:[/red]")
            for problem in refused.problems:
                console.print(f"  - {problem}")
            raise typer.Exit(1) from None
    console.print(f"[green]{outcome.source}[/green] ({outcome.title}): {outcome.added} added, "
                  f"{outcome.removed} removed, {outcome.unchanged} unchanged; {outcome.indexed} (re)indexed")


@kb_app.command("reindex")
def reindex_command() -> None:
    """Make the index the FAQ table (a new embedder, a lost Chroma folder) and store the intent examples' vectors."""
    from knowledge.assistant import build_assistant

    async def run() -> tuple[int, int]:
        assistant = build_assistant(Settings())
        synced = await reindex(Settings(), assistant)
        await warm_assistant(assistant)
        return synced

    changed, removed = asyncio.run(run())
    console.print(f"index synced: {changed} entries (re)indexed, {removed} stale removed")


@kb_app.command("eval-communities")
def eval_communities_command(
    folder: Path = typer.Argument(None, help="the communities (default: knowledge/eval/communities)"),
    chroma: Path = typer.Option(Path("var/eval/chroma"), help="where the communities are indexed (kept between runs: "
                                                              "unchanged entries are not embedded again)"),
    misses: bool = typer.Option(False, "--misses", help="list the configured assistant's misses"),
) -> None:
    """Right entry first, right in the top 3, answered right and out-of-scope refused per blind community,
    everything fitted leave-one-community-out, beside plain e5 and jieba BM25 (knowledge/evaluation.py)."""
    import numpy as np

    from knowledge import evaluation
    from knowledge.assistant import build_assistant

    settings = Settings(chroma_path=str(chroma), embeddings_base_url="", llm_base_url="")
    communities = evaluation.load_communities(folder or evaluation.COMMUNITIES)
    assistant = build_assistant(settings)
    asked = {}
    for community in communities:
        changed = assistant.index.upsert(community.entries)
        console.print(f"{community.code} {community.name} ({community.shape}): {len(community.entries)} entries "
                      f"({changed} embedded now), {sum(1 for _, r in community.questions if r)} in-scope and "
                      f"{sum(1 for _, r in community.questions if not r)} out-of-scope questions")
        asked[community.code] = evaluation.ask_all(assistant, community)
    report = evaluation.leave_one_out(communities, asked)
    table = Table(title="leave-one-community-out, no LLM")
    console.width = max(console.width, 130)
    for column in ("community", "method", "right first", "right in top 3", "answered right", "choices",
                   "out-of-scope refused"):
        table.add_column(column)
    for community in communities:
        for f in report.figures[community.code]:
            table.add_row(f"{community.code} ({community.shape})", f.method, f"{f.right_first:.3f}",
                          f"{f.right_top3:.3f}", f"{f.answered_right:.3f}", f"{f.choices:.3f}", f"{f.refused:.3f}")
    for position, method in enumerate(report.figures[communities[0].code]):
        rows = [report.figures[c.code][position] for c in communities]
        table.add_row("mean", method.method, *(f"{np.mean([getattr(r, name) for r in rows]):.3f}" for name in
                                               ("right_first", "right_top3", "answered_right", "choices", "refused")))
    console.print(table)
    console.print("fitted on every community (what ships, knowledge/ranking.py and Settings):")
    console.print(f"  {report.ranking}")
    console.print(f"  faq_answer_at = {report.answer_at:.3f}, faq_choices_at = {report.choices_at:.3f}")
    if misses:
        for community in communities:
            for question, miss in evaluation.misses(community, asked[community.code], report):
                console.print(f"  [yellow]{community.code}: {question} -> {miss}[/yellow]")
