"""Task metrics, equal to the reference tools (seqeval, scikit-learn)."""

from textenvs.metrics.classification import classification_scores
from textenvs.metrics.spans import (
    SpanCounts,
    corpus_span_scores,
    count_spans,
    entity_spans,
    sentence_span_scores,
)

__all__ = [
    "SpanCounts",
    "classification_scores",
    "corpus_span_scores",
    "count_spans",
    "entity_spans",
    "sentence_span_scores",
]
