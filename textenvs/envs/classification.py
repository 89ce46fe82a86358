"""Text classification as reading: read word by word, answer when confident; vectorized twin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from textenvs.data.files import check_names
from textenvs.data.records import LabeledText
from textenvs.data.text_loaders import BUILTIN_CLASSIFICATION, load_builtin_classification
from textenvs.data.tokenize import word_tokenize
from textenvs.data.vocab import PAD_ID, Vocabulary
from textenvs.envs.common import (
    InvalidActionError,
    TextVectorEnv,
    action_id,
    action_ids,
    batched_info,
    check_choice,
    check_finite,
    check_render_mode,
    next_episode_id,
    object_column,
    put_in_column,
    record_index,
)
from textenvs.envs.datasets import check_max_length, resolve_split
from textenvs.envs.features import BagFeatures, ObservationKind, check_observation
from textenvs.errors import InputError

Mode = Literal["read", "whole"]
MODES = ("read", "whole")
READ = 0
"""In ``mode="read"``, the action that reads the next word; action ``k >= 1`` answers class k-1."""

_BUILTINS = {
    name: (lambda split, name=name: load_builtin_classification(name, split))
    for name in BUILTIN_CLASSIFICATION
}


@dataclass(frozen=True)
class TextCorpus:
    """One split of a labeled-text dataset, tokenized and encoded for an environment.

    Attributes:
        texts: the split's records.
        tokens: each text's words (:func:`~textenvs.data.tokenize.word_tokenize`).
        label_names: the classes, in answer order.
        vocab: the word vocabulary (built from the training split).
        max_length: the observation length; words past it are never shown.
        token_ids: ``(n_texts, max_length)`` word ids, ``PAD_ID`` past the end.
        visible: ``(n_texts,)`` readable words: ``min(len(tokens), max_length)``.
        label_ids: ``(n_texts,)`` class index of each text.
    """

    texts: tuple[LabeledText, ...]
    tokens: tuple[tuple[str, ...], ...]
    label_names: tuple[str, ...]
    vocab: Vocabulary
    max_length: int
    token_ids: np.ndarray
    visible: np.ndarray
    label_ids: np.ndarray

    @classmethod
    def build(
        cls,
        dataset: Any = None,
        split: str = "train",
        *,
        vocab: Vocabulary | None = None,
        label_names: Sequence[str] | None = None,
        max_length: int = 128,
    ) -> TextCorpus:
        """Resolve an env's ``dataset``/``split`` arguments and encode the split.

        Args:
            dataset: ``None`` or ``"sentiment"`` / ``"topic"`` for a built-in corpus; a
                mapping from split name to :class:`LabeledText` records; or a sequence of them.
            split: the split to encode.
            vocab: a vocabulary to reuse; by default built from the training split.
            label_names: the classes in answer order; by default the built-in corpus's order,
                or the sorted labels found in all splits.
            max_length: observation length in words.

        Raises:
            ValueError: an unknown dataset or split, a bad ``max_length``, a label outside
                ``label_names``.
        """
        check_max_length(max_length)
        resolved = resolve_split(dataset, split, LabeledText, _BUILTINS)
        if label_names is None and (dataset is None or isinstance(dataset, str)):
            label_names = BUILTIN_CLASSIFICATION[dataset or next(iter(BUILTIN_CLASSIFICATION))]
        elif label_names is None:
            label_names = sorted({t.label for t in resolved.all_records})
        label_names = check_names(label_names, "label_names")
        label_index = {name: i for i, name in enumerate(label_names)}
        tokens = tuple(tuple(word_tokenize(t.text)) for t in resolved.records)
        for row, (text, words) in enumerate(zip(resolved.records, tokens)):
            if not words:
                raise InputError(f"text {row} of split {split!r} has no words: {text.text!r}")
            if text.label not in label_index:
                raise InputError(
                    f"text {row} of split {split!r} has label {text.label!r}, "
                    f"which is not in label_names {list(label_names)}"
                )
        if vocab is None:
            vocab = Vocabulary.from_sentences(word_tokenize(t.text) for t in resolved.vocab_source)
        visible = np.array([min(len(words), max_length) for words in tokens], dtype=np.int64)
        token_ids = np.full((len(tokens), max_length), PAD_ID, dtype=np.int64)
        for row, words in enumerate(tokens):
            token_ids[row, : visible[row]] = vocab.encode(words[:max_length])
        label_ids = np.array([label_index[t.label] for t in resolved.records], dtype=np.int64)
        return cls(
            tuple(resolved.records),
            tokens,
            label_names,
            vocab,
            max_length,
            token_ids,
            visible,
            label_ids,
        )

    def __len__(self) -> int:
        return len(self.texts)

    def observation_space(self) -> spaces.Dict:
        """The observation space of one episode (see the env docstring)."""
        length = self.max_length
        return spaces.Dict(
            {
                "token_ids": spaces.Box(0, len(self.vocab) - 1, (length,), np.int64),
                "attention_mask": spaces.MultiBinary(length),
                "position": spaces.Discrete(length + 1),
            }
        )


class _ClassificationAttributes:
    """What ``_setup`` sets on the single and the vector env alike (their shared attributes)."""

    corpus: TextCorpus
    split: str
    mode: str
    max_length: int
    wrong_reward: float
    read_cost: float
    label_names: tuple[str, ...]
    vocab: Vocabulary
    observation: str
    _answer_offset: int
    _n_actions: int
    _features: BagFeatures | None


class TextClassificationEnv(
    _ClassificationAttributes, gym.Env[dict[str, np.ndarray], int | np.int64]
):
    """Read a text word by word and answer its class.

    ## Description

    One episode is one text. In ``mode="read"`` (default) the agent starts having read the
    first word; each step it either reads the next word or answers a class, which ends the
    episode. An agent that answers early saves reading (see ``read_cost``), one that reads
    on sees more evidence. ``mode="whole"`` is the one-step variant: the whole text is
    observed and the single action is the class.

    ## Action Space

    ``mode="read"``: ``Discrete(1 + n_classes)``: 0 reads the next word, ``k >= 1`` answers
    class ``k - 1``. ``mode="whole"``: ``Discrete(n_classes)``. ``env.unwrapped.label_names``
    lists the classes in answer order. ``action_masks()`` forbids reading once every visible
    word is read; a read taken anyway ends the episode unanswered (see Episode End). An action
    outside the action space raises :class:`InvalidActionError`.

    ## Observation Space

    | key              | space                               | meaning                      |
    |------------------|-------------------------------------|------------------------------|
    | `token_ids`      | `Box(0, vocab_size-1, (L,), int64)` | ids of the words read, 0 else |
    | `attention_mask` | `MultiBinary(L)`                    | 1 for the words read so far  |
    | `position`       | `Discrete(L + 1)`                   | number of words read         |

    With ``observation="features"``, for MLP agents, a ``Box(0, 1, (D + 2,), float32)``
    instead (``D = feature_dim``): slots ``0 .. D-1`` are a hashed bag of the words read so
    far (each word's lower case, and the bigram it ends; see :mod:`textenvs.envs.features`),
    then the fraction of the readable words read and the number read / ``max_length``. In
    ``mode="whole"`` the bag holds every visible word.

    ``L = max_length``. Word ids come from ``env.unwrapped.vocab`` (built from the training
    split; 1 = unknown word). Transformer agents read the words themselves: ``info["tokens"]``
    holds the words read so far, never one more. At reset it holds the first word
    (``mode="whole"``: the visible words), with the text's ``"index"`` in the split and an
    ``"episode_id"``, an int that numbers the episode (agents recognise episodes by it); after
    each read, the step's ``info`` holds ``"tokens"`` again, one word longer.
    ``metadata["live_info_keys"]`` names the key, for agents that keep an episode's info up to
    date (as the project's evaluation and rollouts do). The raw text comes at the end.

    ## Rewards

    * Answering: +1.0 if correct, ``wrong_reward`` (default -1.0) if not.
    * Reading a word: ``-read_cost`` (default 0.0).
    * Reading past the last visible word: ``wrong_reward`` (no answer was given), and the
      episode ends.

    ## Starting State

    A text of the split drawn uniformly with ``self.np_random``, or ``options={"index": i}``.

    ## Episode End

    * Termination: the agent answers, or reads past the last visible word (``max_length``
      words at most) and so ends without an answer. The latter is the agent's own (masked)
      choice, not a time limit: the episode terminates, it is not truncated.
    * Truncation: never.

    At the end ``info`` holds the raw ``"text"``, ``"label"``, ``"prediction"`` (class names;
    the prediction is None when there was no answer), ``"correct"``, ``"tokens_read"`` and
    ``"fraction_read"`` (of the whole text). Corpus scores:
    :func:`textenvs.metrics.classification_scores`.

    ## Arguments

    ```python
    gym.make("TextClassification-v0", split="train", dataset="sentiment", mode="read",
             wrong_reward=-1.0, read_cost=0.0, max_length=128, vocab=None,
             label_names=None, render_mode=None, observation="ids", feature_dim=2048)
    ```

    * ``observation``: ``"ids"`` (word ids, for transformer agents) or ``"features"`` (a
      float vector, for MLP agents); ``feature_dim``: its hashed slots.

    * ``dataset``: ``"sentiment"`` (default: negative/positive reviews), ``"topic"`` (world,
      sports, business, science news), a mapping from split name to
      :class:`~textenvs.data.LabeledText` records (e.g. from ``load_delimited``), or records.

    ## Vectorized environment

    ``gym.make_vec("TextClassification-v0", num_envs=64)`` returns a
    :class:`TextClassificationVectorEnv` (numpy-batched, ``NEXT_STEP`` autoreset), equal to
    ``SyncVectorEnv`` step for step.

    ## Version History

    * v0: Initial version. In textenvs 0.2: infos hold only the words read so far (the
      whole text came at reset before); ``observation="features"`` added.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4, "live_info_keys": ("tokens",)}

    def __init__(
        self,
        split: str = "train",
        dataset: Any = None,
        mode: Mode = "read",
        wrong_reward: float = -1.0,
        read_cost: float = 0.0,
        max_length: int = 128,
        vocab: Vocabulary | None = None,
        label_names: Sequence[str] | None = None,
        render_mode: str | None = None,
        observation: ObservationKind = "ids",
        feature_dim: int = 2048,
    ) -> None:
        _setup(
            self,
            split,
            dataset,
            mode,
            wrong_reward,
            read_cost,
            max_length,
            vocab,
            label_names,
            render_mode,
            observation,
            feature_dim,
        )
        self.action_space = spaces.Discrete(self._n_actions)
        self.observation_space = _observation_space(self)
        self._index = -1
        self._read = 0
        self._done = True
        self._positions = np.arange(max_length)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on a random text, or on ``options["index"]``."""
        super().reset(seed=seed)
        index = record_index(self, options, len(self.corpus))
        self._index = index
        self._visible = int(self.corpus.visible[index])
        self._read = self._visible if self.mode == "whole" else 1
        self._done = False
        info: dict[str, Any] = {"tokens": self._words_read(), "index": index}
        info["episode_id"] = next_episode_id(self, seed)
        return self._observation(), info

    def step(
        self, action: int | np.int64
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Read the next word, or answer."""
        if self._index < 0:
            raise InvalidActionError("call reset() before step()")
        if self._done:
            raise InvalidActionError("the episode has ended; call reset() to start another")
        choice = action_id(action, self._n_actions) - self._answer_offset
        if choice < 0:  # read
            if self._read < self._visible:
                self._read += 1
                return (
                    self._observation(),
                    -self.read_cost,
                    False,
                    False,
                    {"tokens": self._words_read()},
                )
            self._done = True
            return self._observation(), self.wrong_reward, True, False, self._final_info(None)
        self._done = True
        correct = bool(choice == self.corpus.label_ids[self._index])
        reward = 1.0 if correct else self.wrong_reward
        return self._observation(), reward, True, False, self._final_info(choice)

    def action_masks(self) -> np.ndarray:
        """Valid actions: every answer, and reading while unread visible words remain."""
        masks = np.ones(self._n_actions, dtype=np.bool_)
        if self.mode == "read":
            masks[READ] = self._read < self._visible
        return masks

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: the text, a ``|`` after the last word read, the label."""
        if self.render_mode != "ansi" or self._index < 0:
            return None
        words = self.corpus.tokens[self._index]
        label = self.label_names[self.corpus.label_ids[self._index]]
        return f"{' '.join(words[: self._read])} | {' '.join(words[self._read :])}\n[{label}]\n"

    def _words_read(self) -> list[str]:
        return list(self.corpus.tokens[self._index][: self._read])

    def _observation(self) -> Any:
        if self._features is not None:
            return self._features.single(self._index, self._read, self.max_length)
        mask = self._positions < self._read
        return {
            "token_ids": np.where(mask, self.corpus.token_ids[self._index], PAD_ID),
            "attention_mask": mask.astype(np.int8),
            "position": np.int64(self._read),
        }

    def _final_info(self, choice: int | None) -> dict[str, Any]:
        label = self.corpus.label_ids[self._index]
        return {
            "text": self.corpus.texts[self._index].text,
            "label": self.label_names[label],
            "prediction": None if choice is None else self.label_names[choice],
            "correct": bool(choice == label),
            "tokens_read": self._read,
            "fraction_read": self._read / len(self.corpus.tokens[self._index]),
        }


class TextClassificationVectorEnv(_ClassificationAttributes, TextVectorEnv):
    """``num_envs`` copies of :class:`TextClassificationEnv` stepped together with numpy.

    Same spaces (batched), rewards, infos and seeding as ``SyncVectorEnv`` over the single
    env (sub-env ``i`` is seeded with ``seed + i``); ``NEXT_STEP`` autoreset: the step after
    an episode ends resets that sub-env, ignores its action and returns reward 0.0.
    ``action_masks()`` is ``(num_envs, n_actions)``.

    Args:
        num_envs: number of texts read at once.
        **kwargs: the arguments of :class:`TextClassificationEnv`.
    """

    metadata = {**TextVectorEnv.metadata, "live_info_keys": ("tokens",)}
    _state_arrays = ("_index", "_read", "_visible")

    def __init__(
        self,
        num_envs: int = 1,
        split: str = "train",
        dataset: Any = None,
        mode: Mode = "read",
        wrong_reward: float = -1.0,
        read_cost: float = 0.0,
        max_length: int = 128,
        vocab: Vocabulary | None = None,
        label_names: Sequence[str] | None = None,
        render_mode: str | None = None,
        observation: ObservationKind = "ids",
        feature_dim: int = 2048,
    ) -> None:
        _setup(
            self,
            split,
            dataset,
            mode,
            wrong_reward,
            read_cost,
            max_length,
            vocab,
            label_names,
            render_mode,
            observation,
            feature_dim,
        )
        self._init_batch(num_envs, spaces.Discrete(self._n_actions), _observation_space(self))
        self._index = np.full(num_envs, -1, dtype=np.int64)
        self._read = np.zeros(num_envs, dtype=np.int64)
        self._visible = np.zeros(num_envs, dtype=np.int64)
        self._positions = np.arange(max_length)

    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Read or answer in every text; reset those that ended on the last step."""
        self._check_ready()
        choices = action_ids(actions, self.num_envs, self._n_actions) - self._answer_offset
        active = ~self._autoreset  # sub-envs waiting for their reset ignore their action
        reads = choices < 0
        overrun = reads & (self._read >= self._visible) & active
        reading = np.flatnonzero(reads & active & ~overrun)
        self._read[reading] += 1
        answered = ~reads & active
        correct = answered & (choices == self.corpus.label_ids[self._index])
        rewards = np.where(reads, -self.read_cost, np.where(correct, 1.0, self.wrong_reward))
        rewards[overrun] = self.wrong_reward
        terminated = answered | overrun
        ended = np.flatnonzero(answered | overrun)
        infos: dict[str, Any] = {}
        if ended.size:
            infos = self._final_infos(ended, np.where(answered, choices, -1), correct)
        waiting = np.flatnonzero(self._autoreset)
        if waiting.size:
            infos.update(self._start_episodes(waiting, None))
            rewards[waiting] = 0.0
            terminated[waiting] = False
        if reading.size:  # the words read so far, into the resets' column if there is one
            put_in_column(infos, "tokens", reading, self._words_read(reading), self.num_envs)
        self._autoreset = terminated
        return self._observations(), rewards, terminated, np.zeros_like(terminated), infos

    def action_masks(self) -> np.ndarray:
        """``(num_envs, n_actions)``: every answer, and reading while words remain."""
        masks = np.ones((self.num_envs, self._n_actions), dtype=np.bool_)
        if self.mode == "read":
            masks[:, READ] = self._read < self._visible
        return masks

    def _reset_envs(self, envs: np.ndarray, index: Any) -> dict[str, Any]:
        corpus, env_list = self.corpus, envs.tolist()
        rows = self._draw_records(env_list, index, len(corpus))
        self._index[envs] = rows
        self._visible[envs] = corpus.visible[rows]
        self._read[envs] = corpus.visible[rows] if self.mode == "whole" else 1
        index_info = np.zeros(self.num_envs, dtype=np.int64)
        index_info[envs] = rows
        return batched_info(
            envs,
            tokens=object_column(self.num_envs, env_list, self._words_read(envs)),
            index=index_info,
        )

    def _words_read(self, envs: np.ndarray) -> list[list[str]]:
        tokens = self.corpus.tokens
        return [
            list(tokens[row][:read])
            for row, read in zip(self._index[envs].tolist(), self._read[envs].tolist())
        ]

    def _final_infos(
        self, ended: np.ndarray, choices: np.ndarray, correct: np.ndarray
    ) -> dict[str, Any]:
        names, env_list = self.label_names, ended.tolist()
        labels = self.corpus.label_ids[self._index[ended]].tolist()
        predictions = [names[c] if c >= 0 else None for c in choices[ended].tolist()]
        tokens_read = np.zeros(self.num_envs, dtype=np.int64)
        tokens_read[ended] = self._read[ended]
        lengths = [len(self.corpus.tokens[row]) for row in self._index[ended].tolist()]
        fraction_read = np.zeros(self.num_envs)
        fraction_read[ended] = tokens_read[ended] / lengths
        texts = [self.corpus.texts[row].text for row in self._index[ended].tolist()]
        return batched_info(
            ended,
            text=object_column(self.num_envs, env_list, texts),
            label=object_column(self.num_envs, env_list, [names[label] for label in labels]),
            prediction=object_column(self.num_envs, env_list, predictions),
            correct=correct,
            tokens_read=tokens_read,
            fraction_read=fraction_read,
        )

    def _observations(self) -> Any:
        if self._features is not None:
            return self._features.batch(self._index, self._read, self.max_length)
        mask = self._positions[None, :] < self._read[:, None]
        return {
            "token_ids": np.where(mask, self.corpus.token_ids[self._index], PAD_ID),
            "attention_mask": mask.astype(np.int8),
            "position": self._read.copy(),
        }


def _setup(
    env: TextClassificationEnv | TextClassificationVectorEnv,
    split: str,
    dataset: Any,
    mode: str,
    wrong_reward: float,
    read_cost: float,
    max_length: int,
    vocab: Vocabulary | None,
    label_names: Sequence[str] | None,
    render_mode: str | None,
    observation: str,
    feature_dim: int,
) -> None:
    """Check the arguments both envs share and set the attributes they share."""
    check_choice("mode", mode, MODES)
    check_observation(observation, feature_dim)
    check_render_mode(env, render_mode)
    env.wrong_reward = check_finite("wrong_reward", wrong_reward)
    env.read_cost = check_finite("read_cost", read_cost, minimum=0.0)
    env.corpus = TextCorpus.build(
        dataset, split, vocab=vocab, label_names=label_names, max_length=max_length
    )
    env.split, env.mode, env.render_mode, env.max_length = split, mode, render_mode, max_length
    env.label_names = env.corpus.label_names
    env.vocab = env.corpus.vocab
    env._answer_offset = 1 if mode == "read" else 0
    env._n_actions = len(env.label_names) + env._answer_offset
    env.observation = observation
    env._features = None
    if observation == "features":
        env._features = BagFeatures(env.corpus.tokens, env.corpus.visible, feature_dim)


def _observation_space(env: TextClassificationEnv | TextClassificationVectorEnv) -> spaces.Space:
    """One episode's observation space: the ids ``Dict``, or the feature ``Box``."""
    return env._features.space if env._features is not None else env.corpus.observation_space()
