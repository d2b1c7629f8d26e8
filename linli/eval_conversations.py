"""`make eval`'s blind owner conversations: bot.eval.conversations plays them on a template seeded by the composition
root's demo seeding (linli.demo.seed_everything), which bot/ may not import itself.

    .venv/bin/python -m linli.eval_conversations bot/eval/conversations/dev.jsonl [--misses [--whole]]
        [--only d001,d002]
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.eval.conversations import evaluate
from linli.demo import seed_everything


def main() -> None:
    parser = argparse.ArgumentParser(description="Plays the blind owner conversations and prints pass rates per class")
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--misses", action="store_true", help="print every failed expectation")
    parser.add_argument("--whole", action="store_true", help="with --misses: every turn of a failed conversation")
    parser.add_argument("--only", default="", help="comma-separated conversation ids")
    args = parser.parse_args()
    only = {i for i in args.only.split(",") if i} or None
    asyncio.run(evaluate(args.paths, seed=seed_everything, only=only, misses=args.misses, whole=args.whole))


if __name__ == "__main__":
    main()
