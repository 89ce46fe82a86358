"""Extractive summarization: include or skip each source sentence; vectorized twin."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from textenvs.data.generation_loaders import load_builtin_summarization
from textenvs.data.records import GenerationExample
from textenvs.data.tokenize import word_tokenize
from textenvs.data.vocab import PAD_ID, Vocabulary
from textenvs.envs.common import (
    InvalidActionError,
    TextVectorEnv,
    action_id,
    action_ids,
    batched_info,
    check_render_mode,
    next_episode_id,
    object_column,
    record_index,
)
from textenvs.envs.datasets import check_max_length, resolve_split
from textenvs.envs.features import ExtractiveFeatures, ObservationKind, check_observation
from textenvs.rewards import RewardFn, call_reward, make_reward

SKIP, INCLUDE = 0, 1
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split text after ``.``, ``!`` or ``?`` followed by space and a capital or digit."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text)) if s]


@dataclass(frozen=True)
class SentenceCorpus:
    """One split of documents as sentences of word ids, for extractive summarization.

    Attributes:
        examples: the split's records.
        sentences: each document's sentences (the record's own, or :func:`split_sentences`).
        vocab: the word vocabulary (built from the training split).
        max_sentences: sentences observed per document; later ones are never offered.
        max_sentence_words: words observed per sentence.
        word_ids: ``(n_docs, max_sentences * max_sentence_words)`` word ids, sentence after
            sentence (row-major), 0 = padding. Flat, so that SB3 policies take it as is.
        n_sentences: ``(n_docs,)`` sentences offered: ``min(len(sentences), max_sentences)``.
        sentence_words: ``(n_docs, max_sentences)`` words of each offered sentence.
    """

    examples: tuple[GenerationExample, ...]
    sentences: tuple[tuple[str, ...], ...]
    vocab: Vocabulary
    max_sentences: int
    max_sentence_words: int
    word_ids: np.ndarray
    n_sentences: np.ndarray
    sentence_words: np.ndarray

    @classmethod
    def build(
        cls,
        dataset: Any,
        split: str,
        vocab: Vocabulary | None,
        max_sentences: int,
        max_sentence_words: int,
    ) -> SentenceCorpus:
        """Resolve an env's ``dataset``/``split`` arguments and encode the split."""
        check_max_length(max_sentences, "max_sentences")
        check_max_length(max_sentence_words, "max_sentence_words")
        builtins = {"summarization": load_builtin_summarization}
        resolved = resolve_split(dataset, split, GenerationExample, builtins)
        examples = resolved.records
        sentences = tuple(tuple(e.sentences or split_sentences(e.prompt)) for e in examples)
        if vocab is None:
            vocab = Vocabulary.from_sentences(
                word_tokenize(e.prompt) for e in resolved.vocab_source
            )
        n = len(examples)
        word_ids = np.full((n, max_sentences, max_sentence_words), PAD_ID, dtype=np.int64)
        sentence_words = np.zeros((n, max_sentences), dtype=np.int64)
        for row, document in enumerate(sentences):
            for i, sentence in enumerate(document[:max_sentences]):
                words = word_tokenize(sentence)
                sentence_words[row, i] = len(words)
                kept = words[:max_sentence_words]
                word_ids[row, i, : len(kept)] = vocab.encode(kept)
        n_sentences = np.array([min(len(d), max_sentences) for d in sentences], dtype=np.int64)
        return cls(
            tuple(examples),
            sentences,
            vocab,
            max_sentences,
            max_sentence_words,
            word_ids.reshape(n, -1),
            n_sentences,
            sentence_words,
        )

    def __len__(self) -> int:
        return len(self.examples)

    def observation_space(self) -> spaces.Dict:
        """The observation space of one episode (see the env docstring)."""
        shape = (self.max_sentences * self.max_sentence_words,)
        return spaces.Dict(
            {
                "word_ids": spaces.Box(0, len(self.vocab) - 1, shape, np.int64),
                "sentence_mask": spaces.MultiBinary(self.max_sentences),
                "selected": spaces.MultiBinary(self.max_sentences),
                "position": spaces.Discrete(self.max_sentences + 1),
            }
        )


class _ExtractiveAttributes:
    """What ``_setup`` sets on the single and the vector env alike (their shared attributes)."""

    corpus: SentenceCorpus
    split: str
    reward_fn: RewardFn
    max_words: int | None
    max_sentences: int
    max_sentence_words: int
    vocab: Vocabulary
    observation: str
    _features: ExtractiveFeatures | None


class TextExtractiveSummarizationEnv(
    _ExtractiveAttributes, gym.Env[dict[str, np.ndarray], int | np.int64]
):
    """Pick the source sentences that make the best summary.

    ## Description

    One episode is one source document. The agent visits its sentences in order and, for
    each, includes it in the summary or skips it. At the end the selected sentences, in
    document order, are scored against the reference(s).

    ## Action Space

    ``Discrete(2)``: 0 skips the current sentence, 1 includes it. With a word budget
    (``max_words``), ``action_masks()`` forbids including a sentence that would exceed it; an
    include taken anyway is treated as a skip. An action outside ``{0, 1}`` raises
    :class:`InvalidActionError`.

    ## Observation Space

    | key             | space                                   | meaning                       |
    |-----------------|-----------------------------------------|-------------------------------|
    | `word_ids`      | `Box(0, vocab_size-1, (N * W,), int64)` | word ids, sentence by sentence |
    | `sentence_mask` | `MultiBinary(N)`                        | 1 for the document's sentences |
    | `selected`      | `MultiBinary(N)`                        | 1 for the sentences included  |
    | `position`      | `Discrete(N + 1)`                       | index of the current sentence |

    With ``observation="features"``, for MLP agents, a ``Box(0, 1, (D + 9,), float32)``
    instead (``D = feature_dim``): slots ``0 .. D-1`` are a hashed bag of the current
    sentence's words and bigrams (see :mod:`textenvs.envs.features`), then nine facts:
    position / ``N``, first sentence?, words / ``W``, its overlap with the rest of the
    document, its largest and mean overlap with a selected sentence, the fraction of the
    sentences selected, the share of the word budget left (1.0 without ``max_words``) and
    the sentences left / ``N``. An overlap is the share of the current sentence's content
    words (lower case, alphanumeric, not function words) found in the other text.

    ``N = max_sentences``, ``W = max_sentence_words``: sentence ``i`` fills
    ``word_ids[i*W : (i+1)*W]`` (longer sentences are cut in the observation, never in the
    summary). At reset ``info`` holds the ``"sentences"`` and the ``"index"``; the
    ``"references"`` (gold) come only with the last step's info. Every reset's ``info`` also
    holds an ``"episode_id"``, an int that numbers the episode (agents know episodes by it).

    ## Rewards

    0.0 until the last step, then the score of the summary: ``reward=`` as in
    ``TextSummarization-v0`` (``"rouge1"`` by default, ``"rouge2"``, ``"rougeL"``, a weighted
    mapping, or a callable ``fn(prompts, completions, references) -> list[float]``).

    ## Starting State

    A document of the split drawn uniformly with ``self.np_random``, or ``options={"index": i}``.

    ## Episode End

    * Termination: every sentence has been visited, or, for a document of more than
      ``max_sentences`` sentences, the first ``max_sentences`` have (the rest are never
      offered). The cut is part of the task, not a time limit: the episode terminates.
    * Truncation: never.

    At the end ``info`` holds the ``"summary"``, the ``"selected"`` sentence indices, the
    ``"score"``, ``"input_truncated"`` (True if the document was cut) and the
    ``"references"``.

    ## Arguments

    ```python
    gym.make("TextExtractiveSummarization-v0", split="train", dataset="summarization",
             reward="rouge1", max_words=None, max_sentences=16, max_sentence_words=48,
             vocab=None, render_mode=None, observation="ids", feature_dim=2048)
    ```

    ``observation``: ``"ids"`` (word ids) or ``"features"`` (a float vector, for MLP
    agents); ``feature_dim``: its hashed slots.

    ## Vectorized environment

    ``gym.make_vec("TextExtractiveSummarization-v0", num_envs=64)`` returns a
    :class:`TextExtractiveSummarizationVectorEnv` (numpy-batched, ``NEXT_STEP`` autoreset,
    one reward call per step for every summary that ends there).

    ## Version History

    * v0: Initial version; ``observation="features"`` added in textenvs 0.2.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        split: str = "train",
        dataset: Any = None,
        reward: str | Mapping[str, float] | RewardFn = "rouge1",
        max_words: int | None = None,
        max_sentences: int = 16,
        max_sentence_words: int = 48,
        vocab: Vocabulary | None = None,
        render_mode: str | None = None,
        observation: ObservationKind = "ids",
        feature_dim: int = 2048,
    ) -> None:
        _setup(
            self,
            split,
            dataset,
            reward,
            max_words,
            max_sentences,
            max_sentence_words,
            vocab,
            render_mode,
            observation,
            feature_dim,
        )
        self.action_space = spaces.Discrete(2)
        self.observation_space = _observation_space(self)
        self._index = -1
        self._position = 0
        self._selected = np.zeros(max_sentences, dtype=np.int8)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on a random document, or on ``options["index"]``."""
        super().reset(seed=seed)
        index = record_index(self, options, len(self.corpus))
        self._index, self._position, self._words = index, 0, 0
        self._selected[:] = 0
        info = {
            "sentences": list(self.corpus.sentences[index]),
            "index": index,
        }
        info["episode_id"] = next_episode_id(self, seed)
        return self._observation(), info

    def step(
        self, action: int | np.int64
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Include or skip the current sentence."""
        if self._index < 0:
            raise InvalidActionError("call reset() before step()")
        n_sentences = int(self.corpus.n_sentences[self._index])
        if self._position >= n_sentences:
            raise InvalidActionError("the episode has ended; call reset() to start another")
        choice = action_id(action, 2)
        if choice == INCLUDE and self.action_masks()[INCLUDE]:
            self._selected[self._position] = 1
            self._words += int(self.corpus.sentence_words[self._index, self._position])
        self._position += 1
        if self._position < n_sentences:
            return self._observation(), 0.0, False, False, {}
        example = self.corpus.examples[self._index]
        selected = np.flatnonzero(self._selected).tolist()
        summary = " ".join(self.corpus.sentences[self._index][i] for i in selected)
        (score,) = call_reward(self.reward_fn, [example.prompt], [summary], [example.references])
        cut = len(self.corpus.sentences[self._index]) > n_sentences
        info = {
            "summary": summary,
            "selected": selected,
            "score": score,
            "input_truncated": cut,
            "references": list(example.references),
        }
        return self._observation(), score, True, False, info

    def action_masks(self) -> np.ndarray:
        """Skip is always valid; include unless the sentence would exceed the word budget."""
        if self.max_words is None or self._index < 0:
            return np.ones(2, dtype=np.bool_)
        position = min(self._position, self.max_sentences - 1)
        words = self.corpus.sentence_words[self._index, position]
        return np.array([True, self._words + words <= self.max_words])

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: each sentence, marked ``[x]`` if included."""
        if self.render_mode != "ansi" or self._index < 0:
            return None
        lines = []
        for i, sentence in enumerate(self.corpus.sentences[self._index]):
            mark = "[x]" if i < self.max_sentences and self._selected[i] else "[ ]"
            lines.append(f"{mark if i < self._position else ' . '} {sentence}")
        return "\n".join(lines) + "\n"

    def _observation(self) -> Any:
        if self._features is not None:
            left = _budget_left(self.max_words, self._words)
            return self._features.single(self._index, self._position, self._selected, left)
        n_sentences = self.corpus.n_sentences[self._index]
        return {
            "word_ids": self.corpus.word_ids[self._index].copy(),
            "sentence_mask": (np.arange(self.max_sentences) < n_sentences).astype(np.int8),
            "selected": self._selected.copy(),
            "position": np.int64(self._position),
        }


class TextExtractiveSummarizationVectorEnv(_ExtractiveAttributes, TextVectorEnv):
    """``num_envs`` copies of :class:`TextExtractiveSummarizationEnv` stepped with numpy.

    Same spaces (batched), rewards, infos and seeding as ``SyncVectorEnv`` over the single
    env; ``NEXT_STEP`` autoreset; ``action_masks()`` is ``(num_envs, 2)``.

    Args:
        num_envs: number of documents summarized at once.
        **kwargs: the arguments of :class:`TextExtractiveSummarizationEnv`.
    """

    _state_arrays = ("_index", "_position", "_words", "_selected")

    def __init__(
        self,
        num_envs: int = 1,
        split: str = "train",
        dataset: Any = None,
        reward: str | Mapping[str, float] | RewardFn = "rouge1",
        max_words: int | None = None,
        max_sentences: int = 16,
        max_sentence_words: int = 48,
        vocab: Vocabulary | None = None,
        render_mode: str | None = None,
        observation: ObservationKind = "ids",
        feature_dim: int = 2048,
    ) -> None:
        _setup(
            self,
            split,
            dataset,
            reward,
            max_words,
            max_sentences,
            max_sentence_words,
            vocab,
            render_mode,
            observation,
            feature_dim,
        )
        self._init_batch(num_envs, spaces.Discrete(2), _observation_space(self))
        self._index = np.full(num_envs, -1, dtype=np.int64)
        self._position = np.zeros(num_envs, dtype=np.int64)
        self._words = np.zeros(num_envs, dtype=np.int64)
        # One scratch column past max_sentences for the ignored action of a waiting sub-env.
        self._selected = np.zeros((num_envs, max_sentences + 1), dtype=np.int8)
        self._rows = np.arange(num_envs)

    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Include or skip the current sentence of every document."""
        self._check_ready()
        choices = action_ids(actions, self.num_envs, 2)
        active = ~self._autoreset
        include = active & (choices == INCLUDE) & self.action_masks()[:, INCLUDE]
        self._selected[self._rows, self._position] |= include.astype(np.int8)
        self._words += include * self._current_words()
        self._position += active
        ended = active & (self._position == self.corpus.n_sentences[self._index])
        rewards = np.zeros(self.num_envs)
        infos: dict[str, Any] = {}
        envs = np.flatnonzero(ended)
        if envs.size:
            env_list, rows = envs.tolist(), self._index[envs].tolist()
            selected = [np.flatnonzero(self._selected[env, :-1]).tolist() for env in env_list]
            summaries = [
                " ".join(self.corpus.sentences[row][i] for i in chosen)
                for row, chosen in zip(rows, selected)
            ]
            examples = [self.corpus.examples[row] for row in rows]
            scores = call_reward(
                self.reward_fn,
                [e.prompt for e in examples],
                summaries,
                [e.references for e in examples],
            )
            rewards[envs] = scores
            cut = np.zeros(self.num_envs, dtype=np.bool_)
            cut[envs] = [len(self.corpus.sentences[row]) for row in rows] > (
                self.corpus.n_sentences[rows]
            )
            score_info = np.zeros(self.num_envs)
            score_info[envs] = scores
            infos = batched_info(
                envs,
                summary=object_column(self.num_envs, env_list, summaries),
                selected=object_column(self.num_envs, env_list, selected),
                score=score_info,
                input_truncated=cut,
                references=object_column(
                    self.num_envs, env_list, [list(e.references) for e in examples]
                ),
            )
        waiting = np.flatnonzero(self._autoreset)
        if waiting.size:
            infos.update(self._start_episodes(waiting, None))
        self._autoreset = ended
        return self._observations(), rewards, ended, np.zeros_like(ended), infos

    def action_masks(self) -> np.ndarray:
        """``(num_envs, 2)``: skip always; include unless it would exceed the word budget."""
        masks = np.ones((self.num_envs, 2), dtype=np.bool_)
        if self.max_words is not None:
            masks[:, INCLUDE] = self._words + self._current_words() <= self.max_words
        return masks

    def _current_words(self) -> np.ndarray:
        position = np.minimum(self._position, self.max_sentences - 1)
        return self.corpus.sentence_words[self._index, position]

    def _reset_envs(self, envs: np.ndarray, index: Any) -> dict[str, Any]:
        corpus, env_list = self.corpus, envs.tolist()
        rows = self._draw_records(env_list, index, len(corpus))
        self._index[envs] = rows
        self._position[envs] = 0
        self._words[envs] = 0
        self._selected[envs] = 0
        index_info = np.zeros(self.num_envs, dtype=np.int64)
        index_info[envs] = rows
        return batched_info(
            envs,
            sentences=object_column(
                self.num_envs, env_list, [list(corpus.sentences[r]) for r in rows]
            ),
            index=index_info,
        )

    def _observations(self) -> Any:
        if self._features is not None:
            left = _budget_left(self.max_words, self._words)
            return self._features.batch(self._index, self._position, self._selected, left)
        n_sentences = self.corpus.n_sentences[self._index]
        return {
            "word_ids": self.corpus.word_ids[self._index],
            "sentence_mask": (np.arange(self.max_sentences) < n_sentences[:, None]).astype(np.int8),
            "selected": self._selected[:, :-1].copy(),
            "position": self._position.copy(),
        }


def _setup(
    env: TextExtractiveSummarizationEnv | TextExtractiveSummarizationVectorEnv,
    split: str,
    dataset: Any,
    reward: Any,
    max_words: int | None,
    max_sentences: int,
    max_sentence_words: int,
    vocab: Vocabulary | None,
    render_mode: str | None,
    observation: str,
    feature_dim: int,
) -> None:
    """Check the arguments both envs share and set the attributes they share."""
    check_render_mode(env, render_mode)
    check_observation(observation, feature_dim)
    if max_words is not None:
        check_max_length(max_words, "max_words")
    env.reward_fn = make_reward(reward)
    env.corpus = SentenceCorpus.build(dataset, split, vocab, max_sentences, max_sentence_words)
    env.split, env.render_mode, env.max_words = split, render_mode, max_words
    env.max_sentences, env.max_sentence_words = max_sentences, max_sentence_words
    env.vocab = env.corpus.vocab
    env.observation = observation
    env._features = None
    if observation == "features":
        corpus = env.corpus
        env._features = ExtractiveFeatures(
            [[word_tokenize(sentence) for sentence in doc] for doc in corpus.sentences],
            corpus.n_sentences,
            max_sentences,
            max_sentence_words,
            feature_dim,
        )


def _observation_space(
    env: TextExtractiveSummarizationEnv | TextExtractiveSummarizationVectorEnv,
) -> spaces.Space:
    """One episode's observation space: the ids ``Dict``, or the feature ``Box``."""
    return env._features.space if env._features is not None else env.corpus.observation_space()


def _budget_left(max_words: int | None, words: Any) -> Any:
    """The share of the word budget still free (1.0 without a budget), per env."""
    if max_words is None:
        return np.ones_like(words, dtype=np.float64) if np.ndim(words) else 1.0
    return np.clip((max_words - np.asarray(words)) / max_words, 0.0, 1.0)
