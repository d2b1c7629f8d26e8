"""`linli kb`: import knowledge files, re-index, evaluate. Glues knowledge (parsing, index) to workflows.faq
(the system of record): a file is parsed completely first (any problem: the per-row report, nothing imported), then
its entries are written in one transaction (idempotent by content hash, deletions applied) and the index is synced
before that transaction commits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
                                on_progress: Callable[[int, int], None] | None = None) -> ImportOutcome:
    """Parse, store (one transaction) and index one file for a community (None: shared by every community)."""
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
    assistant = build_assistant(settings)
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
    added = 0
    for code, files in DEMO_FILES.items():
        for name, title in files:
            outcome = await import_knowledge_file(settings, DEMO / name, community_code=code, title=title)
            added += outcome.added
    # Unchanged entries cost nothing here; after the embedder changed (e.g. its engine), its new collection is filled.
    await reindex(settings)
    return added


async def warm_assistant(settings: Settings) -> None:
    """Embed the labelled sentences (intent examples, out-of-scope class) now and keep them in Chroma, so a server
    started afterwards reads them back instead of spending its first seconds on them."""
    from knowledge.assistant import build_assistant

    await asyncio.to_thread(build_assistant(settings).warm)


async def reindex(settings: Settings) -> tuple[int, int]:
    """Make the index exactly the FAQ table (linli.knowledge_sync): (re)index what is missing or changed, drop ids
    the table no longer has. Returns (entries (re)indexed, entries removed)."""
    from knowledge.assistant import build_assistant
    from linli.knowledge_sync import IndexSync
    from workflows.runtime import Runtime

    runtime = Runtime.from_settings(settings)
    try:
        changed, removed = await IndexSync(runtime.sessions, build_assistant(settings)).sync()
    finally:
        await runtime.close()
    await warm_assistant(settings)
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
    """Rebuild the vector/keyword index from the FAQ table (after changing the embedder, or a lost Chroma folder)."""
    changed, removed = asyncio.run(reindex(Settings()))
    console.print(f"index synced: {changed} entries (re)indexed, {removed} stale removed")


@kb_app.command("eval")
def eval_command(
    dataset: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON lines dev set"),
    community: str = typer.Option("YGHY", help="community code the questions are asked in"),
    show_misses: bool = typer.Option(False, "--misses", help="list the dev split's misses of the configured retrieval"),
    intents: str = typer.Option("bot", help="bot: the intents the bot really passes (its dialogs + pseudo-intents); "
                                            "default: knowledge's 13 reference intents"),
) -> None:
    """recall@1, recall@3, MRR, out-of-scope refusal and intent accuracy: configured retrieval vs BM25 baselines."""
    asyncio.run(_eval(Settings(), dataset, community, show_misses, intents))


def bot_intents() -> list:
    """The IntentSpecs the bot builds (bot/router.py Bot.intent_specs): registered dialogs plus pseudo-intents."""
    from bot.registry import default_registry
    from bot.router import PSEUDO_INTENTS
    from knowledge.intents import IntentSpec

    registry = default_registry()
    specs = [IntentSpec(name=d.name, description=d.description or d.title, examples=list(d.triggers),
                        slots=[(s.name, s.label or (s.prompt if isinstance(s.prompt, str) else s.name))
                               for s in d.slots]) for d in registry.all()]
    return specs + [IntentSpec(name=name, description=description, examples=list(examples))
                    for name, (description, examples) in PSEUDO_INTENTS.items() if registry.get(name) is None]


async def _prepared(settings: Settings, community: str) -> tuple:
    """The assistant and the community's id, or a clear message when the database was not prepared."""
    from sqlalchemy.exc import DBAPIError

    from knowledge.assistant import build_assistant
    from workflows.runtime import Runtime

    runtime = Runtime.from_settings(settings)
    try:
        async with runtime.sessions() as session:
            community_id = await _community_id(session, community)
    except DBAPIError as exc:
        console.print(f"[red]the database is not ready ({type(exc.orig).__name__}): run `linli db upgrade` and "
                      f"`linli demo` first (or `make eval`, which does both)[/red]")
        raise typer.Exit(1) from None
    finally:
        await runtime.close()
    return build_assistant(settings), community_id


async def _eval(settings: Settings, dataset: Path, community: str, show_misses: bool, intents: str) -> None:
    from knowledge.evaluation import evaluate, load_dataset
    from knowledge.intents import default_intents

    assistant, community_id = await _prepared(settings, community)
    rows = load_dataset(dataset)
    specs = bot_intents() if intents == "bot" else None
    console.print(f"embedder: {assistant.index.embedder.name}; LLM: {'on' if assistant.llm else 'off'}; "
                  f"{len(assistant.index.entries(community_id))} entries for {community}; intents: "
                  f"{len(specs) if specs else len(default_intents())} ({intents})")
    present = [split for split in ("dev", "test", "long") if any(row.get("split", "dev") == split for row in rows)]
    for split in present + (["all"] if len(present) > 1 else []):
        report = await evaluate(assistant, rows, community_id=community_id, split=split, intents=specs)
        table = Table(title=f"split {split}: {report.counts}")
        for column in ("method", "recall@1", "recall@3", "MRR", "OOS refusal", "answered right", "intent acc."):
            table.add_column(column)
        for m in report.methods:
            table.add_row(m.name, _pct(m.recall_at_1), _pct(m.recall_at_3), f"{m.mrr:.3f}", _pct(m.oos_refusal),
                          _pct(m.in_scope_answered), _pct(m.intent_accuracy))
        console.print(table)
        if show_misses and split == "dev":  # tune on dev only; the test split stays unseen
            for miss in report.methods[0].misses:
                console.print(f"  [yellow]{miss}[/yellow]")


@kb_app.command("calibrate")
def calibrate_command(
    dataset: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON lines dev set"),
    community: str = typer.Option("YGHY", help="community code the questions are asked in"),
    split: str = typer.Option("dev", help="the split fitted on (never the held-out test split)"),
    refuse: float = typer.Option(0.92, help="share of the out-of-scope questions the unknown threshold refuses"),
    precision: float = typer.Option(0.95, help="share of direct answers that must be right"),
    out: Path = typer.Option(None, help="where to write (default: knowledge/data/calibration.json; the reranker "
                                        "goes beside it as reranker.json)"),
) -> None:
    """Fit the reranker (knowledge/reranking.py), then the calibrated confidence over its top entries
    (knowledge/calibration.py), on a labelled split; write both JSON files to knowledge/data/."""
    asyncio.run(_calibrate(Settings(), dataset, community, split, refuse, precision, out))


async def _calibrate(settings: Settings, dataset: Path, community: str, split: str, refuse: float, precision: float,
                     out: Path | None) -> None:
    from knowledge import reranking
    from knowledge.calibration import CALIBRATION_FILE, FEATURES, fit
    from knowledge.evaluation import calibration_rows, load_dataset, reranking_rows

    assistant, community_id = await _prepared(settings, community)
    rows = [r for r in load_dataset(dataset) if r.get("split", "dev") == split]
    lists, flags = reranking_rows(assistant, rows, community_id=community_id)
    reranker = reranking.fit(lists, flags, fitted_on=f"{dataset.name} split {split}: {len(lists)} questions")
    reranker.save(out.with_name("reranker.json") if out else reranking.RERANKER_FILE)
    assistant.index.reranker = reranker
    console.print("reranker: " + ", ".join(f"{name} {weight:+.2f}" for name, weight
                                           in zip(reranking.FEATURES, reranker.weights, strict=True)))
    features, right, out_of_scope = calibration_rows(assistant, rows, community_id=community_id)
    calibrator = fit(features, right, out_of_scope, refuse=refuse, precision=precision,
                     fitted_on=f"{dataset.name} split {split}: {len(right) - sum(out_of_scope)} in-scope, "
                               f"{sum(out_of_scope)} out-of-scope questions")
    calibrator.save(out or CALIBRATION_FILE)
    for name, weight in zip(FEATURES, calibrator.weights, strict=True):
        console.print(f"  {name:16s} {weight:+.2f}")
    console.print(f"answer at ≥ {calibrator.answer_at:.3f}, choices at ≥ {calibrator.choices_at:.3f}; "
                  f"{calibrator.fitted_on}; written to {out or CALIBRATION_FILE}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
