"""Task metrics, equal to the reference tools (seqeval for entity spans)."""

from textenvs.metrics.spans import (
    SpanCounts,
    corpus_span_scores,
    count_spans,
    entity_spans,
    sentence_span_scores,
)

__all__ = [
    "SpanCounts",
    "corpus_span_scores",
    "count_spans",
    "entity_spans",
    "sentence_span_scores",
]
