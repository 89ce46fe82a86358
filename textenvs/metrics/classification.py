"""Corpus scores of a text classifier: accuracy and macro-F1, equal to scikit-learn's."""

from __future__ import annotations

from collections.abc import Sequence

from textenvs.errors import InputError


def classification_scores(
    labels: Sequence[str],
    predictions: Sequence[str | None],
    label_names: Sequence[str],
    fractions_read: Sequence[float] | None = None,
) -> dict[str, float]:
    """Accuracy and macro-averaged F1 over a set of texts.

    Macro-F1 averages the per-class F1 over ``label_names``, a class with no gold and no
    predicted text counting as 0.0: ``sklearn.metrics.f1_score(labels, predictions,
    labels=label_names, average="macro", zero_division=0)``. A ``None`` prediction (the
    agent never answered) is wrong for every class.

    Args:
        labels: the gold class of each text.
        predictions: the predicted class of each text, or None.
        label_names: every class.
        fractions_read: optionally, the fraction of each text read before answering
            (``info["fraction_read"]`` of TextClassification-v0).

    Returns:
        ``{"accuracy", "macro_f1", "texts"}``, and ``"mean_fraction_read"`` when
        ``fractions_read`` is given.
    """
    if len(labels) != len(predictions):
        raise InputError(f"{len(labels)} labels but {len(predictions)} predictions")
    if not labels:
        raise InputError("no texts to score")
    f1s = []
    for name in label_names:
        true_positive = sum(g == name and p == name for g, p in zip(labels, predictions))
        gold = sum(g == name for g in labels)
        predicted = sum(p == name for p in predictions)
        f1s.append(2 * true_positive / (gold + predicted) if gold + predicted else 0.0)
    correct = sum(g == p for g, p in zip(labels, predictions))
    scores = {
        "accuracy": correct / len(labels),
        "macro_f1": sum(f1s) / len(f1s),
        "texts": len(labels),
    }
    if fractions_read is not None:
        if len(fractions_read) != len(labels):
            raise InputError(f"{len(labels)} labels but {len(fractions_read)} fractions read")
        scores["mean_fraction_read"] = sum(fractions_read) / len(fractions_read)
    return scores
