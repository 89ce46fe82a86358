"""Reward functions for text generation: ROUGE, and the checks every reward function passes.

A reward function is a plain callable, as in TRL, scoring a batch at once so that
model-based rewards can batch::

    def reward_fn(prompts: list[str], completions: list[str], references: list[tuple[str, ...]],
                  **kwargs) -> list[float]: ...

The environments call it through :func:`call_reward`, which rejects a result of the wrong
length or with NaN or infinite values, naming the function.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from textenvs.errors import InputError

RewardFn = Callable[..., Sequence[float]]
ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class RewardFunctionError(InputError):
    """A reward function returned something other than one finite number per completion."""


class RougeReward:
    """ROUGE F-measure of each completion against its reference(s), from Google's rouge-score.

    With several references per example, each ROUGE type takes the best F-measure over them
    (``RougeScorer.score_multi``). A weighted mix adds the weighted F-measures.

    Args:
        weights: one ROUGE type (``"rouge1"``, ``"rouge2"``, ``"rougeL"``) or a mapping from
            type to weight, e.g. ``{"rouge1": 0.5, "rougeL": 0.5}``.
        use_stemmer: Porter-stem words before matching, as ``RougeScorer(use_stemmer=...)``.
    """

    def __init__(self, weights: str | Mapping[str, float] = "rouge1", use_stemmer: bool = True):
        if isinstance(weights, str):
            weights = {weights: 1.0}
        if not weights:
            raise InputError("a ROUGE reward needs at least one ROUGE type")
        for rouge_type, weight in weights.items():
            if rouge_type not in ROUGE_TYPES:
                raise InputError(
                    f"unknown ROUGE type {rouge_type!r}; expected one of {ROUGE_TYPES}"
                )
            if not _is_number(weight) or not math.isfinite(weight):
                raise InputError(
                    f"the weight of {rouge_type} must be a finite number, got {weight!r}"
                )
        from rouge_score import rouge_scorer  # imported here: only generation envs need it

        self.weights = dict(weights)
        self.use_stemmer = use_stemmer
        self._scorer = rouge_scorer.RougeScorer(
            list(self.weights), tokenizer=_stem_caching_tokenizer(use_stemmer)
        )
        self.__name__ = f"RougeReward({self.weights}, use_stemmer={use_stemmer})"

    def __call__(
        self,
        prompts: Sequence[str],
        completions: Sequence[str],
        references: Sequence[Sequence[str]],
        **kwargs: Any,
    ) -> list[float]:
        """The weighted ROUGE F-measure of each completion.

        Called as TRL calls a reward function too (keyword arguments, the dataset's other
        columns among them): ``references`` may hold one string per completion instead of
        a list of them; TRL's extra columns (``completion_ids``, ...) are ignored.
        """
        return [
            self.score(c, [refs] if isinstance(refs, str) else refs)
            for c, refs in zip(completions, references)
        ]

    def score(self, completion: str, references: Sequence[str]) -> float:
        """The weighted ROUGE F-measure of one completion against its references."""
        scores = self._scorer.score_multi(list(references), completion)
        return sum(weight * scores[t].fmeasure for t, weight in self.weights.items())

    def __reduce__(self) -> tuple[Any, ...]:
        return (RougeReward, (self.weights, self.use_stemmer))


def _stem_caching_tokenizer(use_stemmer: bool) -> Any:
    """rouge-score's own tokenizer, with each word's Porter stem computed once.

    ``rouge_score.tokenize.tokenize`` with a stemmer whose ``stem`` is memoised: the same
    tokens as ``RougeScorer(use_stemmer=...)``, without stemming the same words on every
    call (stemming was most of a reward's time).
    """
    from nltk.stem import porter
    from rouge_score import tokenize, tokenizers

    class StemCachingTokenizer(tokenizers.Tokenizer):
        def __init__(self) -> None:
            self.stemmer = None
            if use_stemmer:
                self.stemmer = porter.PorterStemmer()
                self.stemmer.stem = functools.lru_cache(maxsize=1 << 17)(self.stemmer.stem)

        def tokenize(self, text: str) -> list[str]:
            return list(tokenize.tokenize(text, self.stemmer))

    return StemCachingTokenizer()


def make_reward(reward: str | Mapping[str, float] | RewardFn) -> RewardFn:
    """A reward function from an env's ``reward=`` argument (a ROUGE spec or a callable)."""
    if callable(reward):
        return reward
    if isinstance(reward, (str, Mapping)):
        return RougeReward(reward)
    raise InputError(
        f"reward must be a ROUGE type {ROUGE_TYPES}, a mapping of them to weights, or a "
        f"callable reward function, got {reward!r}"
    )


def call_reward(
    reward_fn: RewardFn,
    prompts: Sequence[str],
    completions: Sequence[str],
    references: Sequence[Sequence[str]],
    **kwargs: Any,
) -> list[float]:
    """Call a reward function on a batch and check what it returns.

    Raises:
        RewardFunctionError: the result is not a sequence of one finite number per completion.
    """
    name = getattr(reward_fn, "__name__", repr(reward_fn))
    result = reward_fn(list(prompts), list(completions), list(references), **kwargs)
    if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
        raise RewardFunctionError(
            f"reward function {name} must return a list of numbers, got {result!r:.100}"
        )
    result = list(result)
    for i, value in enumerate(result):
        if not _is_number(value):
            raise RewardFunctionError(
                f"reward function {name} returned {value!r:.60} ({type(value).__name__}) for "
                f"completion {i}; rewards must be numbers"
            )
    values = [float(value) for value in result]
    if len(values) != len(completions):
        raise RewardFunctionError(
            f"reward function {name} returned {len(values)} rewards for {len(completions)} "
            "completions"
        )
    for i, value in enumerate(values):
        if not math.isfinite(value):
            raise RewardFunctionError(
                f"reward function {name} returned {value} for completion {i} "
                f"({completions[i]!r:.60}); rewards must be finite"
            )
    return values


def _is_number(value: Any) -> bool:
    """A number (Python, numpy, a 0-d tensor: anything with ``__float__``), not a bool."""
    return hasattr(type(value), "__float__") and not isinstance(value, (bool, np.bool_))
