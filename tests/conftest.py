"""Shared fixtures: small tagged datasets that exercise the IOB rules."""

from __future__ import annotations

import pytest

from textenvs.data import TaggedSentence


def sentence(pairs: str) -> TaggedSentence:
    """Build a sentence from ``"word/TAG word/TAG ..."``."""
    words, tags = zip(*(item.rsplit("/", 1) for item in pairs.split()))
    return TaggedSentence(tuple(words), tuple(tags))


TINY_TRAIN = [
    sentence("John/B-PER Smith/I-PER visited/O Paris/B-LOC ./O"),
    sentence("Acme/B-ORG Corp/I-ORG hired/O Mary/B-PER ./O"),
    sentence("The/O French/B-MISC team/O won/O in/O Berlin/B-LOC ./O"),
    sentence("Nothing/O happened/O ./O"),
    sentence("Paris/B-PER Hilton/I-PER and/O Jordan/B-PER met/O Jordan/B-PER Lee/I-PER ./O"),
]
TINY_TEST = [
    sentence("Mary/B-PER works/O for/O Acme/B-ORG in/O Berlin/B-LOC ./O"),
    sentence("It/O rained/O ./O"),
    sentence(
        "A/O very/O long/O sentence/O about/O John/B-PER Smith/I-PER and/O the/O city/O "
        "of/O New/B-LOC York/I-LOC in/O the/O United/B-LOC States/I-LOC ./O"
    ),
]


@pytest.fixture
def tiny_dataset() -> dict[str, list[TaggedSentence]]:
    return {"train": TINY_TRAIN, "validation": TINY_TEST[:2], "test": TINY_TEST}


@pytest.fixture
def record_step_outputs():  # type: ignore[no-untyped-def]
    """``record(policy) -> list``: the logits every later ``policy.step_outputs`` call returns."""

    def record(policy):  # type: ignore[no-untyped-def]
        recorded = []
        step_outputs = policy.step_outputs

        def recording(*args):  # type: ignore[no-untyped-def]
            logits, values = step_outputs(*args)
            recorded.append(logits)
            return logits, values

        policy.step_outputs = recording
        return recorded

    return record
