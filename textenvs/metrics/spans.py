"""Entity-level precision, recall and F1, equal to seqeval's defaults.

seqeval's default mode reads IOB tags leniently: an entity starts at ``B-X``, or at an
``I-X`` that does not continue an entity of type ``X``; it ends where the next tag does
not continue it. :func:`entity_spans` follows the same rules (restricted to the ``O``,
``B-``, ``I-`` tags that textenvs uses), so scores match ``seqeval.metrics`` on IOB2 and on
IOB1 input alike.

Two levels:

* **Corpus** (:func:`corpus_span_scores`): micro-averaged over all entities of all
  sentences, exactly ``seqeval.metrics.precision_score / recall_score / f1_score``. With no
  gold and no predicted entity anywhere the scores are 0.0, as in seqeval.
* **Sentence** (:func:`sentence_span_scores`): the same formulas on one sentence, except that
  a sentence with no gold and no predicted entities scores 1.0 (nothing to find, nothing
  wrongly found), where seqeval would give an ill-defined 0.0. The environments' rewards use
  this level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from textenvs.data.tags import OUTSIDE, continues_entity, split_tag
from textenvs.errors import InputError

Span = tuple[str, int, int]
"""An entity as ``(type, first_index, last_index)``, both indices inclusive (seqeval's form)."""


def entity_spans(tags: Sequence[str], strict: bool = False) -> list[Span]:
    """The entities in one sentence's tags, as seqeval reads them.

    Args:
        tags: IOB tags (``O``, ``B-X``, ``I-X``), IOB1 or IOB2.
        strict: read them as seqeval's ``mode="strict", scheme=IOB2`` does: an entity is a
            ``B-X`` and the ``I-X`` that continue it; an ``I-X`` that continues nothing is
            no entity. Default: as seqeval's default mode (``get_entities``), where such an
            ``I-X`` opens one.

    Returns:
        The entities in order of their first index.
    """
    if strict:
        return _strict_entity_spans(tags)
    spans: list[Span] = []
    open_type: str | None = None
    start = 0
    for i, tag in enumerate(tags):
        prefix, entity_type = split_tag(tag)
        continues = continues_entity(tag, tags[i - 1] if i else None)
        if open_type is not None and not continues:
            spans.append((open_type, start, i - 1))
            open_type = None
        if prefix != OUTSIDE and not continues:
            open_type, start = entity_type, i
    if open_type is not None:
        spans.append((open_type, start, len(tags) - 1))
    return spans


def _strict_entity_spans(tags: Sequence[str]) -> list[Span]:
    spans: list[Span] = []
    open_type: str | None = None
    start = 0
    for i, tag in enumerate(tags):
        prefix, entity_type = split_tag(tag)
        if open_type is not None and continues_entity(tag, tags[i - 1]):
            continue
        if open_type is not None:
            spans.append((open_type, start, i - 1))
            open_type = None
        if prefix == "B":
            open_type, start = entity_type, i
    if open_type is not None:
        spans.append((open_type, start, len(tags) - 1))
    return spans


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0 (seqeval's zero_division)."""
    return numerator / denominator if denominator else 0.0


@dataclass(frozen=True)
class SpanCounts:
    """Entity counts for one sentence or a whole corpus.

    Attributes:
        correct: predicted entities that equal a gold entity (type and both boundaries).
        predicted: predicted entities.
        gold: gold entities.
    """

    correct: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(
            self.correct + other.correct,
            self.predicted + other.predicted,
            self.gold + other.gold,
        )

    def scores(self, *, nothing_to_find: float = 0.0) -> dict[str, float]:
        """Precision, recall and F1 from these counts.

        Args:
            nothing_to_find: the value of all three scores when there is no gold and no
                predicted entity (0.0 at corpus level as in seqeval, 1.0 per sentence).
        """
        if self.predicted == 0 and self.gold == 0:
            return dict.fromkeys(("precision", "recall", "f1"), nothing_to_find)
        return {
            "precision": ratio(self.correct, self.predicted),
            "recall": ratio(self.correct, self.gold),
            # 2PR / (P + R) without the intermediate roundings: one formula for every caller.
            "f1": ratio(2 * self.correct, self.predicted + self.gold),
        }


def count_spans(
    gold_tags: Sequence[str], pred_tags: Sequence[str], strict: bool = False
) -> SpanCounts:
    """Count correct, predicted and gold entities in one sentence (see :func:`entity_spans`).

    Raises:
        ValueError: if the two sequences differ in length.
    """
    if len(gold_tags) != len(pred_tags):
        raise InputError(
            f"gold and predicted tags differ in length: {len(gold_tags)} != {len(pred_tags)}"
        )
    gold = set(entity_spans(gold_tags, strict))
    pred = set(entity_spans(pred_tags, strict))
    return SpanCounts(len(gold & pred), len(pred), len(gold))


def sentence_span_scores(gold_tags: Sequence[str], pred_tags: Sequence[str]) -> dict[str, float]:
    """Entity precision, recall and F1 of one sentence (1.0 each when it has no entities)."""
    return count_spans(gold_tags, pred_tags).scores(nothing_to_find=1.0)


def corpus_span_scores(
    gold_sequences: Iterable[Sequence[str]],
    pred_sequences: Iterable[Sequence[str]],
    strict: bool = False,
) -> dict[str, float]:
    """Corpus-level micro precision, recall and F1, equal to seqeval's.

    Args:
        gold_sequences: gold tags, one sequence per sentence.
        pred_sequences: predicted tags, aligned with ``gold_sequences``.
        strict: seqeval's ``mode="strict", scheme=IOB2`` instead of its default (lenient)
            mode: an ``I-X`` that continues nothing is no entity (see :func:`entity_spans`).

    Returns:
        ``{"precision", "recall", "f1"}`` plus the counts ``"correct"``, ``"predicted"``,
        ``"gold"`` and ``"sentences"``.
    """
    golds, preds = list(gold_sequences), list(pred_sequences)
    if len(golds) != len(preds):
        raise InputError(f"{len(golds)} gold sentences but {len(preds)} predicted ones")
    total = SpanCounts()
    for gold, pred in zip(golds, preds):
        total += count_spans(gold, pred, strict)
    return {
        **total.scores(),
        "correct": total.correct,
        "predicted": total.predicted,
        "gold": total.gold,
        "sentences": len(golds),
    }
