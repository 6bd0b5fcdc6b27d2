"""The answerability check's memory of the corpus: a question like one seen at another clinic is
answered by sentences like those that answered it there, not like that clinic's near-misses."""

import numpy as np

from agent.intent import AnswerMemory


def direction(*weights):
    vector = np.zeros(8, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


# One question ("how long is the braces-off visit?") met two candidates elsewhere: the visit's
# length answered it, the whole treatment's length did not.
QUESTION = direction(1, 0, 0)
VISIT_LENGTH = direction(0, 1, 0)
TREATMENT_LENGTH = direction(0, 0, 1)
MEMORY = AnswerMemory.stored(
    questions=[QUESTION],
    sentences=[VISIT_LENGTH, TREATMENT_LENGTH],
    question_of=[0, 0],
    sentences_of=[0, 1],
    answered=[True, False],
)


def test_a_candidate_like_the_sentence_that_answered_reads_as_an_answer():
    like_answer, like_miss, lead = MEMORY.evidence(direction(1, 0.1, 0), direction(0.1, 1, 0.2))

    assert like_answer > 0.9
    assert like_miss < 0.3
    assert lead == like_answer - like_miss


def test_a_candidate_like_the_near_miss_reads_as_one():
    like_answer, like_miss, _ = MEMORY.evidence(direction(1, 0.1, 0), direction(0, 0.2, 1))

    assert like_miss > 0.9 > like_answer


def test_an_unrelated_question_finds_nothing_alike():
    like_answer, like_miss, _ = MEMORY.evidence(direction(0, 0, 0, 1), VISIT_LENGTH)

    assert like_answer == like_miss == 0


def test_pairs_left_out_count_as_nothing_remembered():
    # In training, a question's own clinic is left out, as a new clinic is never in the memory.
    like_answer, like_miss, _ = MEMORY.evidence(
        QUESTION, VISIT_LENGTH, exclude=np.array([True, False])
    )

    assert like_answer == -1.0
    assert like_miss == 0


def test_the_memory_reads_back_from_the_weights_file_as_it_was_trained(tmp_path):
    path = tmp_path / "memory.npz"
    np.savez_compressed(path, **MEMORY.to_arrays())

    with np.load(path) as data:
        loaded = AnswerMemory.from_arrays(data)

    assert loaded.questions.dtype == np.float32
    np.testing.assert_array_equal(loaded.sentences, MEMORY.sentences)
    np.testing.assert_array_equal(loaded.answered, MEMORY.answered)
    assert loaded.evidence(QUESTION, VISIT_LENGTH) == MEMORY.evidence(QUESTION, VISIT_LENGTH)
