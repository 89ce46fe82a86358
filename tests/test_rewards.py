"""Reward functions: ROUGE against rouge-score, and the checks on custom reward functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer

from textenvs.rewards import RewardFunctionError, RougeReward, call_reward, make_reward

WORDS = ["the", "cat", "cats", "sat", "running", "runs", "on", "mat", "a", "Dog", "2-1", "won"]
text = st.lists(st.sampled_from(WORDS), min_size=0, max_size=15).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(completion=text, references=st.lists(text, min_size=1, max_size=3))
def test_rouge_equals_rouge_score(completion: str, references: list[str]) -> None:
    for rouge_type in ("rouge1", "rouge2", "rougeL"):
        scorer = rouge_scorer.RougeScorer([rouge_type], use_stemmer=True)
        best = max(scorer.score(r, completion)[rouge_type].fmeasure for r in references)
        assert RougeReward(rouge_type).score(completion, references) == pytest.approx(best)


def test_weighted_mix_and_stemming() -> None:
    reward = RougeReward({"rouge1": 0.25, "rougeL": 0.75}, use_stemmer=False)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rougeL"], use_stemmer=False)
    scores = scorer.score("the cats sat on the mat", "a cat sat")
    expected = 0.25 * scores["rouge1"].fmeasure + 0.75 * scores["rougeL"].fmeasure
    assert reward([""], ["a cat sat"], [("the cats sat on the mat",)]) == [pytest.approx(expected)]
    stemmed = RougeReward("rouge1").score("cats", ["cat"])
    assert stemmed == 1.0 and RougeReward("rouge1", use_stemmer=False).score("cats", ["cat"]) == 0.0


def test_real_text_pair() -> None:
    source = "Shares of Northwind rose 4% on Tuesday after the company reported strong sales."
    reference = "Northwind shares rise after strong quarter"
    scorer = rouge_scorer.RougeScorer(["rouge2"], use_stemmer=True)
    assert RougeReward("rouge2").score(source, [reference]) == pytest.approx(
        scorer.score(reference, source)["rouge2"].fmeasure
    )


def test_bad_rouge_specs() -> None:
    with pytest.raises(ValueError, match="unknown ROUGE type 'rouge3'"):
        make_reward("rouge3")
    with pytest.raises(ValueError, match="weight of rouge1 must be a finite number"):
        make_reward({"rouge1": math.nan})
    with pytest.raises(ValueError, match="weight of rouge1 must be a finite number, got '5'"):
        make_reward({"rouge1": "5"})
    with pytest.raises(ValueError, match="reward must be a ROUGE type"):
        make_reward(3)


def nan_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
    return [math.nan] * len(completions)


def short_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
    return [1.0]


def text_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
    return ["good"] * len(completions)


def digits_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
    return "55"  # one string, two characters: not two rewards


def quoted_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
    return ["5", 1.0]


def bool_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
    return [True, 0.0]


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (nan_reward, "reward function nan_reward returned nan for completion 0"),
        (short_reward, "reward function short_reward returned 1 rewards for 2 completions"),
        (text_reward, r"text_reward returned 'good' \(str\) for completion 0; rewards must be"),
        (digits_reward, "reward function digits_reward must return a list of numbers, got '55'"),
        (quoted_reward, r"quoted_reward returned '5' \(str\) for completion 0"),
        (bool_reward, r"bool_reward returned True \(bool\) for completion 0"),
    ],
)
def test_bad_reward_functions_are_named(function, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RewardFunctionError, match=message):
        call_reward(function, ["p", "q"], ["a", "b"], [("r",), ("s",)])


def test_infinite_reward() -> None:
    def inf_reward(prompts, completions, references):  # type: ignore[no-untyped-def]
        return [0.0, math.inf]

    with pytest.raises(RewardFunctionError, match=r"inf_reward returned inf for completion 1"):
        call_reward(inf_reward, ["p", "q"], ["a", "b"], [("r",), ("s",)])


def test_numpy_rewards_are_numbers() -> None:
    def array_reward(prompts, completions, references):  # type: ignore[no-untyped-def]
        return np.array([0.25, 0.5], dtype=np.float32)

    assert call_reward(array_reward, ["p", "q"], ["a", "b"], [("r",), ("s",)]) == [0.25, 0.5]


def test_rouge_reward_is_callable_the_way_trl_calls_reward_functions() -> None:
    """TRL's GRPOTrainer calls ``reward_func(prompts=..., completions=..., completion_ids=...,
    **other_dataset_columns)``; a ``references`` column may hold one string per row."""
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    completions = ["storms hit the coast", "markets rose again"]
    references = ["Storms hit the coast", "Markets fell"]
    rewards = RougeReward("rougeL")(
        prompts=["story one", "story two"],
        completions=completions,
        completion_ids=[[1, 2, 3], [4, 5]],
        references=references,  # one string per row
        trainer_state=None,
    )
    expected = [scorer.score(r, c)["rougeL"].fmeasure for c, r in zip(completions, references)]
    assert rewards == pytest.approx(expected)
    assert rewards[0] == pytest.approx(1.0) and 0 < rewards[1] < 1
