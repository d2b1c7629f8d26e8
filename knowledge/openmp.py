"""How many OpenMP threads the embedding model may use for the next call.

One question embeds in about half the time on two threads, but only while the other core is free: a team thread
that loses its core to another process stalls every barrier of the forward pass (on 2 busy cores that made p99 ten
times worse). So in "auto" mode each call looks at what else wants a CPU:

- now: the runnable tasks the kernel counts in /proc/loadavg (the fewest of a few reads), less this process's own
  running threads;
- lately: the CPU time the rest of the machine used over the last fraction of a second (/proc/stat less our own).

With nothing else runnable now, or with one task runnable now on a machine that was otherwise idle lately (a kernel
thread or a daemon that woke for a moment), the call gets all the cores (up to a cap); otherwise one thread. The
choice is set with omp_set_num_threads in the calling thread, through the very libgomp the model's engine was linked
against, just before each call.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

AUTO = "auto"
MAX_AUTO_THREADS = 2
SAMPLES = 3  # reads of /proc/loadavg per decision; the fewest runnable tasks counts
WINDOW_S = (0.1, 1.0)  # "lately": compared with a reading at least 0.1 s and at most 1 s old
IDLE_CORES = 0.25  # the rest of the machine used less than this many cores lately: it was idle
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


class OpenMPThreads:
    """Sets the calling thread's OpenMP team size before each model call: fixed (`setting` is a number) or chosen
    per call from what else wants a CPU (`setting` == "auto")."""

    def __init__(self, setting: str, libgomp: Path | None) -> None:
        """Call before the engine loads: libgomp reads its environment once, when it is loaded."""
        self.auto = setting.strip().lower() == AUTO and libgomp is not None and _readable_proc()
        self.most = max(1, min(MAX_AUTO_THREADS, len(os.sched_getaffinity(0)))) if self.auto else _count(setting)
        for name, value in self.environment().items():
            os.environ.setdefault(name, value)
        self._omp = _load(libgomp)
        self.auto = self.auto and self._omp is not None
        self.machine = MachineLoad()
        self._lock = threading.Lock()
        self._in_flight = 0
        self.calls: Counter[int] = Counter()  # calls by team size, for the benchmark and the curious

    @contextmanager
    def call(self) -> Iterator[int]:
        """Around one model call: sets this OS thread's team size and yields it. A call that overlaps another of
        this process's calls stays on one thread (our own threads are not counted as competition)."""
        with self._lock:
            self._in_flight += 1
            alone = self._in_flight == 1
        try:
            threads = self.most
            if self.auto:
                others_now, others_lately = self.machine.others()
                if not alone or others_now > 1 or (others_now == 1 and not others_lately < IDLE_CORES):
                    threads = 1
            if self._omp is not None:
                self._omp.omp_set_num_threads(threads)
            self.calls[threads] += 1
            yield threads
        finally:
            with self._lock:
                self._in_flight -= 1

    def environment(self) -> dict[str, str]:
        """OpenMP variables to set before the engine loads. A fixed single thread sleeps when idle. A team must spin
        between the forward pass's parallel regions, which is what makes two threads faster than one at all: with
        the default policy libgomp cuts spinning to 1,000 rounds as soon as the process holds more OpenMP threads
        than cores (a team per calling thread: the event loop's, each executor thread's), and every region then
        waits for a sleeping thread to wake (embedding p50 9 → 21 ms). ACTIVE with a bounded count keeps the spin
        and ends it ~4 ms after a call (libgomp's default count spins ~9 ms)."""
        if self.auto or self.most > 1:
            return {"OMP_NUM_THREADS": str(self.most), "OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "100000"}
        return {"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}


class MachineLoad:
    """What the rest of the machine (everything but this process) does: runnable tasks now, cores used lately."""

    def __init__(self) -> None:
        self._readings: deque[tuple[float, float, float]] = deque(maxlen=64)  # (when, machine busy s, ours s)

    def others(self) -> tuple[int, float]:
        """(other runnable tasks now, cores the others used lately; inf when there is no recent reading)."""
        own = own_running_threads()  # first: a thread of ours that just went to sleep is still counted as ours
        try:
            runnable = min(_runnable_now() for _ in range(SAMPLES))
            reading = (time.monotonic(), _machine_busy_s(), time.process_time())
        except (OSError, ValueError, IndexError):
            return 1 << 10, float("inf")
        lately = float("inf")
        for when, busy, ours in reversed(self._readings):
            age = reading[0] - when
            if age >= WINDOW_S[0]:
                if age <= WINDOW_S[1]:
                    lately = max(0.0, (reading[1] - busy) - (reading[2] - ours)) / age
                break
        if not self._readings or reading[0] - self._readings[-1][0] >= WINDOW_S[0] / 4:
            self._readings.append(reading)
        return max(0, runnable - own), lately


def own_running_threads() -> int:
    running = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                running += f.read().rsplit(")", 1)[1].split()[0] == "R"
        except (OSError, IndexError):
            continue
    return running


def bundled_libgomp(package_dir: Path) -> Path | None:
    """The libgomp a repaired wheel ships beside its package (PACKAGE.libs/libgomp-HASH.so.1…), if any."""
    found = sorted(glob.glob(str(package_dir.parent / f"{package_dir.name}.libs" / "libgomp*.so*")))
    return Path(found[0]) if found else None


def _runnable_now() -> int:
    with open("/proc/loadavg") as f:
        return int(f.read().split()[3].split("/")[0])


def _machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (the first line of /proc/stat, less idle and iowait)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) * TICK_S


def _load(path: Path | None) -> ctypes.CDLL | None:
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(str(path))
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        return lib
    except (OSError, AttributeError):
        return None


def _readable_proc() -> bool:
    return all(os.path.exists(p) for p in ("/proc/loadavg", "/proc/stat", "/proc/self/task"))


def _count(setting: str) -> int:
    try:
        return max(1, int(setting))
    except ValueError:
        return 1
