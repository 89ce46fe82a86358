"""Named-entity recognition as a token-level tagging environment, and its vectorized twin."""

from __future__ import annotations

import operator
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from textenvs.envs.tagging import DatasetArg, TaggingCorpus
from textenvs.data.vocab import Vocabulary
from textenvs.metrics.spans import SpanCounts, count_spans, f1_from

RewardMode = Literal["token", "f1", "delta_f1"]
REWARD_MODES: tuple[str, ...] = ("token", "f1", "delta_f1")


class InvalidActionError(ValueError):
    """An action outside the action space, or a step after the episode ended."""


class TextNEREnv(gym.Env[dict[str, np.ndarray], int]):
    """Tag each word of a sentence with its named-entity tag.

    ## Description

    One episode is one sentence. At each step the agent tags the next word, left to right,
    with an IOB2 tag (``O``, ``B-PER``, ``I-PER``, ...). The sentence's entities are read
    from the chosen tags as seqeval reads them, and scored against the gold entities.

    ## Action Space

    ``Discrete(n_tags)``: the tag of the current word. ``env.unwrapped.tag_names`` lists the
    tags in action order (``O`` first, then ``B-X``, ``I-X`` per entity type, types sorted).
    ``env.unwrapped.action_masks()`` marks the tags that keep the sequence valid IOB2: an
    ``I-X`` is valid only after ``B-X`` or ``I-X``. An invalid tag taken anyway is kept as
    chosen and read leniently, like seqeval does: an ``I-X`` that continues nothing opens a
    new ``X`` entity. An action outside ``[0, n_tags)`` raises :class:`InvalidActionError`.

    ## Observation Space

    A ``Dict`` of fixed-size arrays (``L = max_length``), usable by SB3's
    ``MultiInputPolicy``:

    | key              | space                            | meaning                               |
    |------------------|----------------------------------|---------------------------------------|
    | `word_ids`       | `Box(0, vocab_size-1, (L,), int64)` | word ids; 0 = padding, 1 = unknown |
    | `attention_mask` | `MultiBinary(L)`                 | 1 for the sentence's words            |
    | `position`       | `Discrete(L + 1)`                | index of the word to tag next         |
    | `tags`           | `Box(-1, n_tags-1, (L,), int64)` | tags chosen so far, -1 where none yet |

    Word ids come from ``env.unwrapped.vocab``, built from the training split
    (case-sensitive). Transformer agents tokenize the raw words from ``info["words"]``.

    ## Rewards

    Chosen by ``reward=``:

    * ``"token"``: 1.0 when the tag equals the gold tag, else 0.0.
    * ``"f1"``: 0.0 until the last step, then the sentence's entity-level F1.
    * ``"delta_f1"`` (default): after each step, the change in entity F1 of the words tagged
      so far against the gold entities of those words (an entity still open at the last
      tagged word counts as ending there), starting from 0.0. The return is the final
      sentence F1 (up to float rounding).

    Entity F1 is seqeval's on IOB2 tags, with one convention: a sentence with no gold and no
    predicted entity scores 1.0 (seqeval's corpus scores are unaffected by this; see
    :mod:`textenvs.metrics.spans`).

    ## Starting State

    A sentence of the split drawn uniformly with ``self.np_random``, or the one at
    ``reset(options={"index": i})`` (to walk a split in order for evaluation).

    ## Episode End

    * Termination: every word of the sentence is tagged.
    * Truncation: the sentence is longer than ``max_length``; the episode ends after
      ``max_length`` words, and the untagged rest counts as ``O`` in the final scores (so a
      truncated sentence can lose recall, never gain precision).

    At the last step ``info`` holds ``"gold_tags"`` and ``"pred_tags"`` (tag strings for the
    whole sentence), and the sentence's ``"precision"``, ``"recall"`` and ``"f1"``. Corpus
    scores over many episodes: :func:`textenvs.metrics.corpus_span_scores` on those lists.

    ## Arguments

    ```python
    gym.make("TextNER-v0", split="train", reward="delta_f1", max_length=64,
             dataset=None, vocab=None, tag_names=None, render_mode=None)
    ```

    * ``split``: ``"train"``, ``"validation"`` or ``"test"``.
    * ``reward``: ``"token"``, ``"f1"`` or ``"delta_f1"``.
    * ``max_length``: observation length in words.
    * ``dataset``: ``None`` for the built-in corpus, a mapping from split name to
      :class:`~textenvs.data.TaggedSentence` records (e.g. from ``load_conll``), or a
      sequence of records.
    * ``vocab``, ``tag_names``: reuse another env's vocabulary / tag order.
    * ``render_mode``: ``"ansi"`` renders words with their gold and chosen tags.

    ## Vectorized environment

    ``gym.make_vec("TextNER-v0", num_envs=64)`` returns a :class:`TextNERVectorEnv`, which
    steps all sentences with numpy array operations and resets finished ones on the next
    step (Gymnasium's ``NEXT_STEP`` autoreset), matching ``SyncVectorEnv`` step for step.

    ## Version History

    * v0: Initial version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        split: str = "train",
        reward: RewardMode = "delta_f1",
        max_length: int = 64,
        dataset: DatasetArg = None,
        vocab: Vocabulary | None = None,
        tag_names: list[str] | tuple[str, ...] | None = None,
        render_mode: str | None = None,
    ) -> None:
        _check_choice("reward", reward, REWARD_MODES)
        _check_choice("render_mode", render_mode, (None, *self.metadata["render_modes"]))
        self.corpus = TaggingCorpus.build(
            dataset, split, vocab=vocab, tag_names=tag_names, max_length=max_length
        )
        self.split = split
        self.reward_mode = reward
        self.render_mode = render_mode
        self.tag_names = self.corpus.tag_names
        self.vocab = self.corpus.vocab
        self.max_length = max_length
        self.action_space = spaces.Discrete(len(self.tag_names))
        self.observation_space = self.corpus.observation_space()
        self._tables = self.corpus.tables
        self._index = -1
        self._steps = 0
        self._position = 0
        self._gold: list[int] = []
        self._pred = np.full(max_length, -1, dtype=np.int64)
        self._word_ids = np.zeros(max_length, dtype=np.int64)
        self._mask = np.zeros(max_length, dtype=np.int8)
        self._final_info: dict[str, Any] = {}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on a random sentence, or on ``options["index"]``."""
        super().reset(seed=seed)
        if options and "index" in options:
            index = _sentence_index(options["index"], len(self.corpus))
        else:
            index = int(self.np_random.integers(len(self.corpus)))
        corpus = self.corpus
        self._index = index
        self._steps = int(corpus.steps[index])
        self._position = 0
        self._gold = corpus.gold_ids[index, : self._steps].tolist()
        self._word_ids = corpus.word_ids[index].copy()
        self._mask[:] = 0
        self._mask[: self._steps] = 1
        self._pred[:] = -1
        # Entity bookkeeping of the tagged prefix: previous tags, start of the entity open
        # at the last tagged word (-1: none), and counts of entities found so far.
        start = self._tables.start
        self._pred_prev, self._gold_prev = start, start
        self._pred_open, self._gold_open = -1, -1
        self._n_pred, self._n_gold, self._n_closed_correct = 0, 0, 0
        self._last_f1 = 0.0
        self._final_info = {}
        return self._observation(), {"words": list(corpus.sentences[index].words), "index": index}

    def step(
        self, action: int
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Tag the current word with ``action``."""
        if self._index < 0:
            raise InvalidActionError("call reset() before step()")
        if self._position >= self._steps:
            raise InvalidActionError("the episode has ended; call reset() to start another")
        tag = _tag_id(action, len(self.tag_names))
        i = self._position
        gold = self._gold[i]
        self._pred[i] = tag
        tables = self._tables

        # An entity open on both sides that ends now on both sides was found exactly.
        pred_continues = tables.continues_list[self._pred_prev][tag]
        gold_continues = tables.continues_list[self._gold_prev][gold]
        if (
            not pred_continues
            and not gold_continues
            and self._pred_open >= 0
            and self._pred_open == self._gold_open
            and tables.entity_type_list[self._pred_prev] == tables.entity_type_list[self._gold_prev]
        ):
            self._n_closed_correct += 1
        if tables.opens_list[self._pred_prev][tag]:
            self._pred_open = i
            self._n_pred += 1
        elif not pred_continues:
            self._pred_open = -1
        if tables.opens_list[self._gold_prev][gold]:
            self._gold_open = i
            self._n_gold += 1
        elif not gold_continues:
            self._gold_open = -1
        self._pred_prev, self._gold_prev = tag, gold
        self._position = i + 1

        terminated = self._position == self._steps
        truncated = terminated and self._steps < len(self.corpus.sentences[self._index])
        if terminated:
            counts = self._final_counts(truncated)
            self._final_info = self._episode_info(counts)
        else:
            counts = self._prefix_counts()
        if self.reward_mode == "token":
            reward = 1.0 if tag == gold else 0.0
        else:
            f1 = counts.scores(nothing_to_find=1.0)["f1"]
            if self.reward_mode == "f1":
                reward = f1 if terminated else 0.0
            else:
                reward, self._last_f1 = f1 - self._last_f1, f1
        info = dict(self._final_info) if terminated else {}
        return self._observation(), reward, terminated and not truncated, truncated, info

    def action_masks(self) -> np.ndarray:
        """Which tags keep the chosen sequence valid IOB2 at the current word (bool array)."""
        return self._tables.valid[self._pred_prev].copy()

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: one line per word with its gold and chosen tags."""
        if self.render_mode != "ansi" or self._index < 0:
            return None
        return render_tagging(
            self.corpus.sentences[self._index].words,
            self.corpus.sentences[self._index].tags,
            [self.tag_names[t] for t in self._pred[: self._position]],
        )

    def _observation(self) -> dict[str, np.ndarray]:
        return {
            "word_ids": self._word_ids.copy(),
            "attention_mask": self._mask.copy(),
            "position": np.int64(self._position),
            "tags": self._pred.copy(),
        }

    def _prefix_counts(self) -> SpanCounts:
        open_match = (
            self._pred_open >= 0
            and self._pred_open == self._gold_open
            and self._tables.entity_type_list[self._pred_prev]
            == self._tables.entity_type_list[self._gold_prev]
        )
        return SpanCounts(self._n_closed_correct + open_match, self._n_pred, self._n_gold)

    def _final_counts(self, truncated: bool) -> SpanCounts:
        if not truncated:
            return self._prefix_counts()
        sentence = self.corpus.sentences[self._index]
        return count_spans(sentence.tags, self._pred_tags(len(sentence)))

    def _pred_tags(self, length: int) -> list[str]:
        chosen = [self.tag_names[t] for t in self._pred[: self._steps]]
        return chosen + ["O"] * (length - len(chosen))

    def _episode_info(self, counts: SpanCounts) -> dict[str, Any]:
        sentence = self.corpus.sentences[self._index]
        return {
            "gold_tags": list(sentence.tags),
            "pred_tags": self._pred_tags(len(sentence)),
            **counts.scores(nothing_to_find=1.0),
        }


class TextNERVectorEnv(VectorEnv):
    """``num_envs`` copies of :class:`TextNEREnv` stepped together with numpy.

    Same spaces (batched), rewards, infos and seeding as ``SyncVectorEnv`` over
    ``TextNEREnv`` (sub-env ``i`` is seeded with ``seed + i`` and draws its own sentences), but
    one ``step`` call updates every sentence with array operations instead of a Python loop.
    Autoreset follows Gymnasium's ``NEXT_STEP`` mode: the step after an episode ends resets
    that sub-env, ignores its action and returns reward 0.0. ``action_masks()`` returns an
    ``(num_envs, n_tags)`` bool array. ``reset`` accepts ``options={"index": i}`` (every
    sub-env gets sentence ``i``, as with ``SyncVectorEnv``) and ``options={"reset_mask": m}``.

    Args:
        num_envs: number of sentences stepped at once.
        **kwargs: the arguments of :class:`TextNEREnv`.
    """

    metadata = {"render_modes": ["ansi"], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        split: str = "train",
        reward: RewardMode = "delta_f1",
        max_length: int = 64,
        dataset: DatasetArg = None,
        vocab: Vocabulary | None = None,
        tag_names: list[str] | tuple[str, ...] | None = None,
        render_mode: str | None = None,
    ) -> None:
        if not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        _check_choice("reward", reward, REWARD_MODES)
        _check_choice("render_mode", render_mode, (None, *self.metadata["render_modes"]))
        self.corpus = TaggingCorpus.build(
            dataset, split, vocab=vocab, tag_names=tag_names, max_length=max_length
        )
        self.num_envs = num_envs
        self.split = split
        self.reward_mode = reward
        self.render_mode = render_mode
        self.tag_names = self.corpus.tag_names
        self.vocab = self.corpus.vocab
        self.max_length = max_length
        self.single_action_space = spaces.Discrete(len(self.tag_names))
        self.single_observation_space = self.corpus.observation_space()
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self._tables = self.corpus.tables
        self._tag_name_array = np.array(self.tag_names, dtype=object)
        self._rngs: list[np.random.Generator] = [seeding.np_random()[0] for _ in range(num_envs)]

        shape = (num_envs, max_length)
        self._index = np.full(num_envs, -1, dtype=np.int64)
        self._steps = np.zeros(num_envs, dtype=np.int64)
        self._position = np.zeros(num_envs, dtype=np.int64)
        self._word_ids = np.zeros(shape, dtype=np.int64)
        self._gold = np.zeros(shape, dtype=np.int64)
        self._mask = np.zeros(shape, dtype=np.int8)
        self._pred = np.full(shape, -1, dtype=np.int64)
        self._pred_prev = np.zeros(num_envs, dtype=np.int64)
        self._gold_prev = np.zeros(num_envs, dtype=np.int64)
        self._pred_open = np.zeros(num_envs, dtype=np.int64)
        self._gold_open = np.zeros(num_envs, dtype=np.int64)
        self._n_pred = np.zeros(num_envs, dtype=np.int64)
        self._n_gold = np.zeros(num_envs, dtype=np.int64)
        self._n_closed_correct = np.zeros(num_envs, dtype=np.int64)
        self._last_f1 = np.zeros(num_envs, dtype=np.float64)
        self._autoreset = np.zeros(num_envs, dtype=np.bool_)
        self._rows = np.arange(num_envs)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset every sub-env (or those in ``options["reset_mask"]``)."""
        options = dict(options or {})
        reset_mask = options.pop("reset_mask", None)
        if reset_mask is None:
            reset_mask = np.ones(self.num_envs, dtype=np.bool_)
        elif not (isinstance(reset_mask, np.ndarray) and reset_mask.shape == (self.num_envs,)
                  and reset_mask.dtype == np.bool_):
            raise ValueError(f"options['reset_mask'] must be a bool array of shape ({self.num_envs},)")
        if seed is None or isinstance(seed, int):
            seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"got {len(seeds)} seeds for {self.num_envs} envs")
        if seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(seeds[0])
        index = options.get("index")
        infos: dict[str, Any] = {}
        for env in np.flatnonzero(reset_mask):
            if seeds[env] is not None or self._index[env] < 0:
                self._rngs[env] = seeding.np_random(seeds[env])[0]
            infos = self._add_info(infos, self._reset_env(int(env), index), int(env))
        self._autoreset[reset_mask] = False
        return self._observations(), infos

    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Tag the current word of every sentence; reset those that ended on the last step."""
        if self._index[0] < 0:
            raise InvalidActionError("call reset() before step()")
        tags = _tag_ids(actions, self.num_envs, len(self.tag_names))
        tables, rows = self._tables, self._rows
        position = np.minimum(self._position, self.max_length - 1)
        gold = self._gold[rows, position]
        self._pred[rows, position] = tags

        pred_continues = tables.continues[self._pred_prev, tags]
        gold_continues = tables.continues[self._gold_prev, gold]
        self._n_closed_correct += (
            ~pred_continues & ~gold_continues & self._open_match(self._pred_prev, self._gold_prev)
        )
        pred_opens = tables.opens[self._pred_prev, tags]
        gold_opens = tables.opens[self._gold_prev, gold]
        self._pred_open = np.where(pred_opens, position, np.where(pred_continues, self._pred_open, -1))
        self._gold_open = np.where(gold_opens, position, np.where(gold_continues, self._gold_open, -1))
        self._n_pred += pred_opens
        self._n_gold += gold_opens
        self._pred_prev, self._gold_prev = tags, gold
        self._position += 1

        ended = self._position == self._steps
        long_sentence = self._steps < self._sentence_lengths()
        correct = self._n_closed_correct + self._open_match(tags, gold)
        f1 = _f1(correct, self._n_pred, self._n_gold)
        infos: dict[str, Any] = {}
        for env in np.flatnonzero(ended & ~self._autoreset):
            counts = SpanCounts(int(correct[env]), int(self._n_pred[env]), int(self._n_gold[env]))
            sentence = self.corpus.sentences[self._index[env]]
            pred_tags = self._tag_name_array[self._pred[env, : self._steps[env]]].tolist()
            pred_tags += ["O"] * (len(sentence) - len(pred_tags))
            if long_sentence[env]:
                counts = count_spans(sentence.tags, pred_tags)
            scores = counts.scores(nothing_to_find=1.0)
            f1[env] = scores["f1"]
            infos = self._add_info(
                infos, {"gold_tags": list(sentence.tags), "pred_tags": pred_tags, **scores}, int(env)
            )
        if self.reward_mode == "token":
            rewards = (tags == gold).astype(np.float64)
        elif self.reward_mode == "f1":
            rewards = np.where(ended, f1, 0.0)
        else:
            rewards = f1 - self._last_f1
            self._last_f1 = f1
        terminated = ended & ~long_sentence
        truncated = ended & long_sentence

        for env in np.flatnonzero(self._autoreset):
            infos = self._add_info(infos, self._reset_env(int(env), None), int(env))
        rewards[self._autoreset] = 0.0
        terminated[self._autoreset] = False
        truncated[self._autoreset] = False
        self._autoreset = terminated | truncated
        return self._observations(), rewards, terminated, truncated, infos

    def action_masks(self) -> np.ndarray:
        """``(num_envs, n_tags)``: the tags that keep each sentence valid IOB2."""
        return self._tables.valid[self._pred_prev]

    def render(self) -> tuple[str, ...] | None:
        """With ``render_mode="ansi"``: each sub-env's words with gold and chosen tags."""
        if self.render_mode != "ansi":
            return None
        frames = []
        for env in range(self.num_envs):
            sentence = self.corpus.sentences[self._index[env]]
            chosen = self._tag_name_array[self._pred[env, : self._position[env]]].tolist()
            frames.append(render_tagging(sentence.words, sentence.tags, chosen))
        return tuple(frames)

    def _reset_env(self, env: int, index: Any) -> dict[str, Any]:
        if index is None:
            row = int(self._rngs[env].integers(len(self.corpus)))
        else:
            row = _sentence_index(index, len(self.corpus))
        steps = int(self.corpus.steps[row])
        self._index[env] = row
        self._steps[env] = steps
        self._position[env] = 0
        self._word_ids[env] = self.corpus.word_ids[row]
        self._gold[env] = self.corpus.gold_ids[row]
        self._mask[env] = 0
        self._mask[env, :steps] = 1
        self._pred[env] = -1
        self._pred_prev[env] = self._gold_prev[env] = self._tables.start
        self._pred_open[env] = self._gold_open[env] = -1
        self._n_pred[env] = self._n_gold[env] = self._n_closed_correct[env] = 0
        self._last_f1[env] = 0.0
        return {"words": list(self.corpus.sentences[row].words), "index": row}

    def _open_match(self, pred_prev: np.ndarray, gold_prev: np.ndarray) -> np.ndarray:
        entity_type = self._tables.entity_type
        return (
            (self._pred_open >= 0)
            & (self._pred_open == self._gold_open)
            & (entity_type[pred_prev] == entity_type[gold_prev])
        )

    def _sentence_lengths(self) -> np.ndarray:
        return self.corpus.lengths[self._index]

    def _observations(self) -> dict[str, np.ndarray]:
        return {
            "word_ids": self._word_ids.copy(),
            "attention_mask": self._mask.copy(),
            "position": self._position.copy(),
            "tags": self._pred.copy(),
        }


def render_tagging(words: Any, gold_tags: Any, pred_tags: list[str]) -> str:
    """A plain-text table of words with their gold and chosen tags (``.`` = not tagged yet)."""
    width = max(len(w) for w in words)
    lines = [f"{'word':<{width}}  {'gold':<8}  chosen"]
    for i, (word, gold) in enumerate(zip(words, gold_tags)):
        chosen = pred_tags[i] if i < len(pred_tags) else "."
        mark = "" if chosen == "." else ("  ok" if chosen == gold else "  x")
        lines.append(f"{word:<{width}}  {gold:<8}  {chosen}{mark}")
    return "\n".join(lines) + "\n"


def _f1(correct: np.ndarray, predicted: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per-sentence entity F1 with the same operations as :meth:`SpanCounts.scores`."""
    precision = np.divide(correct, predicted, out=np.zeros(len(correct)), where=predicted > 0)
    recall = np.divide(correct, gold, out=np.zeros(len(correct)), where=gold > 0)
    denominator = precision + recall
    f1 = np.divide(2 * precision * recall, denominator, out=np.zeros(len(correct)),
                   where=denominator > 0)
    f1[(predicted == 0) & (gold == 0)] = 1.0
    return f1


def _check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {list(choices)}")


def _sentence_index(index: Any, size: int) -> int:
    try:
        row = operator.index(index)
    except TypeError:
        raise ValueError(f"options['index'] must be an integer, got {index!r}") from None
    if not 0 <= row < size:
        raise ValueError(f"options['index']={row} is outside this split's {size} sentences")
    return row


def _tag_id(action: Any, n_tags: int) -> int:
    try:
        tag = operator.index(action)
    except TypeError:
        raise InvalidActionError(
            f"action {action!r} is not an integer tag id in Discrete({n_tags})"
        ) from None
    if not 0 <= tag < n_tags:
        raise InvalidActionError(f"action {tag} is outside the action space Discrete({n_tags})")
    return tag


def _tag_ids(actions: Any, num_envs: int, n_tags: int) -> np.ndarray:
    array = np.asarray(actions)
    if array.shape != (num_envs,) or not np.issubdtype(array.dtype, np.integer):
        raise InvalidActionError(
            f"actions must be {num_envs} integer tag ids, got shape {array.shape} "
            f"and dtype {array.dtype}"
        )
    bad = np.flatnonzero((array < 0) | (array >= n_tags))
    if bad.size:
        raise InvalidActionError(
            f"action {array[bad[0]]} of env {bad[0]} is outside Discrete({n_tags})"
        )
    return array.astype(np.int64)  # a copy: the env keeps it as state
