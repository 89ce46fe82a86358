"""Entity scores against seqeval, the reference implementation."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2

from textenvs.data import iob1_to_iob2
from textenvs.data.tags import TagError, first_iob2_violation, split_tag, tag_names_for
from textenvs.metrics import corpus_span_scores, entity_spans, sentence_span_scores

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
IOB1_TAGS = ["O", "I-PER", "I-LOC", "B-PER"]  # I- opens entities, B- only splits same type

tag_sequence = st.lists(st.sampled_from(TAGS), min_size=1, max_size=12)
iob1_sequence = st.lists(st.sampled_from(IOB1_TAGS), min_size=1, max_size=12)


def seqeval_scores(gold: list[list[str]], pred: list[list[str]]) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns on zero division, then returns 0.0
        return {
            "precision": precision_score(gold, pred),
            "recall": recall_score(gold, pred),
            "f1": f1_score(gold, pred),
        }


@given(tag_sequence)
def test_entity_spans_equal_seqeval_get_entities(tags: list[str]) -> None:
    assert entity_spans(tags) == get_entities(tags)


@given(iob1_sequence)
def test_entity_spans_read_iob1_like_seqeval(tags: list[str]) -> None:
    assert entity_spans(tags) == get_entities(tags)


@given(iob1_sequence)
def test_iob1_to_iob2_keeps_entities_and_gives_valid_iob2(tags: list[str]) -> None:
    converted = iob1_to_iob2(tags)
    assert get_entities(converted) == get_entities(tags)
    assert first_iob2_violation(converted) is None


@settings(max_examples=300)
@given(st.data())
def test_sentence_scores_equal_seqeval(data: st.DataObject) -> None:
    gold = data.draw(tag_sequence)
    pred = data.draw(st.lists(st.sampled_from(TAGS), min_size=len(gold), max_size=len(gold)))
    ours = sentence_span_scores(gold, pred)
    if not get_entities(gold) and not get_entities(pred):
        assert ours == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    else:
        assert ours == pytest.approx(seqeval_scores([gold], [pred]), abs=1e-12)


@settings(max_examples=200)
@given(st.data())
def test_corpus_scores_equal_seqeval(data: st.DataObject) -> None:
    golds = data.draw(st.lists(st.one_of(tag_sequence, iob1_sequence), min_size=1, max_size=6))
    preds = [
        data.draw(st.lists(st.sampled_from(TAGS + IOB1_TAGS), min_size=len(g), max_size=len(g)))
        for g in golds
    ]
    ours = corpus_span_scores(golds, preds)
    expected = seqeval_scores(golds, preds)
    assert {k: ours[k] for k in expected} == pytest.approx(expected, abs=1e-12)
    assert ours["sentences"] == len(golds)


def test_corpus_scores_are_micro_not_mean_of_sentences() -> None:
    gold = [["B-PER", "O"], ["B-LOC", "B-LOC"]]
    pred = [["B-PER", "O"], ["O", "O"]]
    scores = corpus_span_scores(gold, pred)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["precision"] == 1.0
    assert scores["f1"] == pytest.approx(f1_score(gold, pred))


def test_corpus_with_no_entities_scores_zero_like_seqeval() -> None:
    assert corpus_span_scores([["O"]], [["O"]])["f1"] == 0.0


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        sentence_span_scores(["O", "O"], ["O"])


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("I-", "no entity type"),
        ("B-", "no entity type"),
        ("E-PER", "not an IOB tag"),
        ("PER", "not an IOB tag"),
        ("", "not an IOB tag"),
    ],
)
def test_bad_tags_are_named(tag: str, message: str) -> None:
    with pytest.raises(TagError, match=message):
        split_tag(tag)


def test_tag_names_are_canonical() -> None:
    assert tag_names_for(["PER", "LOC", "PER"]) == ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")


@settings(max_examples=300)
@given(st.data())
def test_strict_mode_equals_seqeval_strict_iob2(data: st.DataObject) -> None:
    golds, preds = [], []
    for _ in range(data.draw(st.integers(1, 4))):
        gold = data.draw(tag_sequence)
        golds.append(gold)
        preds.append(
            data.draw(st.lists(st.sampled_from(TAGS), min_size=len(gold), max_size=len(gold)))
        )
    ours = corpus_span_scores(golds, preds, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = {
            name: metric(golds, preds, mode="strict", scheme=IOB2)
            for name, metric in (
                ("precision", precision_score),
                ("recall", recall_score),
                ("f1", f1_score),
            )
        }
    assert {k: ours[k] for k in theirs} == pytest.approx(theirs, abs=1e-12)
    for gold in golds:  # on valid IOB2 both modes read the same entities
        if first_iob2_violation(gold) is None:
            assert entity_spans(gold, strict=True) == entity_spans(gold)


def test_strict_mode_drops_what_continues_nothing() -> None:
    assert entity_spans(["I-PER", "I-PER"]) == [("PER", 0, 1)]
    assert entity_spans(["I-PER", "I-PER"], strict=True) == []
    assert entity_spans(["B-PER", "I-LOC", "O", "B-LOC"], strict=True) == [
        ("PER", 0, 0),
        ("LOC", 3, 3),
    ]
