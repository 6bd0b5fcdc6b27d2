"""The training corpus the team wrote (agent/corpus/) stays apart from the evaluation data: no run
of six words of any evaluation reply appears in it or in the agent's source, and the committed
weights are what `agent_train` makes of it."""

import json
import re
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from agent.intent import MODEL_PATH
from agent.training import CORPUS_DIR, load_corpus
from messaging.inbound import strip_quoted
from tests.agent_fixtures import DEV_CASES

ROOT = Path(__file__).resolve().parent.parent
EVALUATION_FILES = [DEV_CASES, *sorted((ROOT / "tests" / "data").glob("*_cases.jsonl"))]
RUN = 6


def word_runs(text: str, n: int = RUN) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.fixture(scope="module")
def evaluation_runs() -> dict[tuple[str, ...], str]:
    runs = {}
    for path in EVALUATION_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                # The patient's words: the clinic's own message quoted under an email reply is
                # the clinic's template, not a reply.
                for run in word_runs(strip_quoted(row["reply"])):
                    runs.setdefault(run, row["id"])
    return runs


def test_no_evaluation_reply_is_quoted_in_the_training_corpus(evaluation_runs):
    leaks = []
    for path in sorted(CORPUS_DIR.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for run in word_runs(row["reply"]) & evaluation_runs.keys():
                leaks.append(f"{row['id']} quotes {evaluation_runs[run]}: {' '.join(run)}")
    assert leaks == []


def test_no_evaluation_reply_is_quoted_in_the_agent_source(evaluation_runs):
    leaks = []
    for path in sorted((ROOT / "agent").rglob("*.py")) + sorted((ROOT / "patients").rglob("*.py")):
        for run in word_runs(path.read_text(encoding="utf-8")) & evaluation_runs.keys():
            leaks.append(f"{path.relative_to(ROOT)} quotes {evaluation_runs[run]}: {' '.join(run)}")
    assert leaks == []


def test_the_corpus_spans_enough_clinics_and_replies():
    examples, kbs = load_corpus()
    assert len(kbs) >= 6
    assert len(examples) >= 1200
    assert {ex.clinic for ex in examples} == set(kbs)


@pytest.mark.django_db
def test_agent_train_regenerates_the_committed_weights(tmp_path):
    out = StringIO()
    target = tmp_path / "brain.npz"

    call_command("agent_train", output=str(target), stdout=out)

    assert "replies over" in out.getvalue()
    with np.load(MODEL_PATH) as committed, np.load(target) as fresh:
        assert sorted(committed.files) == sorted(fresh.files)
        for name in committed.files:
            old, new = committed[name], fresh[name]
            if old.dtype.kind != "f":
                assert (new == old).all(), name
            elif old.ndim == 0:  # thresholds and temperatures: chosen, not fitted
                assert new == old, name
            else:
                # Fitted weights: the same up to float noise. The sentence vectors differ in
                # the last bits from one CPU to another (SIMD paths), which moves the weights
                # by up to ~1e-3 of their norm; a change of training moves them by far more,
                # and a change of corpus changes corpus_hash.
                drift = np.linalg.norm(new - old) / np.linalg.norm(old)
                assert drift < 1e-2, f"{name}: moved by {drift:.1e} of its norm"


def test_the_brain_reads_words_as_the_training_library_does():
    """The committed words model is applied without scikit-learn: its TF-IDF must equal the one
    it was trained on, or every probability drifts."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from agent.training import fit_lexical

    texts = [ex.case.reply for ex in load_corpus()[0][:300]]
    lexical = fit_lexical(texts)
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
    probes = ["No thanks, we're all set!!", "can I book Tuesday? tuesday works", "¿Tienen citas?"]

    expected = reference.transform(probes).toarray()
    np.testing.assert_allclose([lexical.vector(t) for t in probes], expected, atol=1e-6)
