"""Lab (not installed): leave-one-community-out experiments on cached retrievals.

    .venv/bin/python lab/loco.py ask        # retrieve every blind question once, cache to var/eval/asked.pkl
    .venv/bin/python lab/loco.py            # the shipped features, LOCO
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from knowledge import evaluation  # noqa: E402

CACHE = Path("var/eval/asked.pkl")


def ask() -> None:
    from knowledge.assistant import build_assistant
    from workflows.settings import Settings

    settings = Settings(chroma_path="var/eval/chroma", embeddings_base_url="", llm_base_url="")
    communities = evaluation.load_communities()
    assistant = build_assistant(settings)
    asked = {}
    for community in communities:
        assistant.index.upsert(community.entries)
        asked[community.code] = evaluation.ask_all(assistant, community)
        print(community.code, len(asked[community.code]), flush=True)
    CACHE.write_bytes(pickle.dumps((communities, asked)))


def table(report: evaluation.Report) -> None:
    names = ("right_first", "right_top3", "answered_right", "choices", "refused")
    print(f"{'':6s} {'method':40s} " + " ".join(f"{n[:10]:>10s}" for n in names))
    for code, rows in report.figures.items():
        for f in rows:
            print(f"{code:6s} {f.method[:40]:40s} " + " ".join(f"{getattr(f, n):10.3f}" for n in names))
    for position, method in enumerate(next(iter(report.figures.values()))):
        rows = [r[position] for r in report.figures.values()]
        print(f"{'mean':6s} {method.method[:40]:40s} " +
              " ".join(f"{np.mean([getattr(r, n) for r in rows]):10.3f}" for n in names))
    print(report.ranking, report.answer_at, report.choices_at)


def main() -> None:
    if sys.argv[1:] == ["ask"]:
        ask()
        return
    communities, asked = pickle.loads(CACHE.read_bytes())
    table(evaluation.leave_one_out(communities, asked))


if __name__ == "__main__":
    main()
