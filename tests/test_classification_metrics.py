"""Classification scores against scikit-learn."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from textenvs.metrics import classification_scores

NAMES = ["world", "sports", "business", "science"]


@settings(max_examples=300)
@given(st.data())
def test_equal_to_sklearn(data: st.DataObject) -> None:
    labels = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=30))
    predictions = data.draw(
        st.lists(st.sampled_from([*NAMES, None]), min_size=len(labels), max_size=len(labels))
    )
    ours = classification_scores(labels, predictions, NAMES)
    as_strings = [p if p is not None else "<none>" for p in predictions]
    assert ours["accuracy"] == pytest.approx(accuracy_score(labels, as_strings), abs=1e-12)
    expected = f1_score(labels, as_strings, labels=NAMES, average="macro", zero_division=0)
    assert ours["macro_f1"] == pytest.approx(expected, abs=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="2 labels but 1 predictions"):
        classification_scores(["a", "b"], ["a"], ["a", "b"])
    with pytest.raises(ValueError, match="no texts"):
        classification_scores([], [], ["a"])


def test_mean_fraction_read_from_episodes() -> None:
    import gymnasium as gym

    import textenvs  # noqa: F401

    env = gym.make("TextClassification-v0", split="validation")
    labels, predictions, fractions = [], [], []
    for index in range(20):
        env.reset(options={"index": index})
        for _ in range(index % 4):
            env.step(0)
        *_, info = env.step(1)
        labels.append(info["label"])
        predictions.append(info["prediction"])
        fractions.append(info["fraction_read"])
    scores = classification_scores(labels, predictions, env.unwrapped.label_names, fractions)
    assert scores["mean_fraction_read"] == pytest.approx(sum(fractions) / 20)
    assert scores["accuracy"] == pytest.approx(labels.count("negative") / 20)
    with pytest.raises(ValueError, match="fractions read"):
        classification_scores(labels, predictions, env.unwrapped.label_names, fractions[:3])
