"""Named-entity recognition as a token-level tagging environment, and its vectorized twin."""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from textenvs.data.vocab import Vocabulary
from textenvs.envs.common import (
    InvalidActionError,
    TextVectorEnv,
    action_id,
    action_ids,
    batched_info,
    check_choice,
    check_render_mode,
    next_episode_id,
    record_index,
)
from textenvs.envs.features import ObservationKind, TaggingFeatures, check_observation
from textenvs.envs.tagging import DatasetArg, IOBTables, TaggingCorpus
from textenvs.metrics.spans import SpanCounts, count_spans

RewardMode = Literal["token", "f1", "delta_f1"]
REWARD_MODES: tuple[str, ...] = ("token", "f1", "delta_f1")


class _NERAttributes:
    """What ``_setup`` sets on the single and the vector env alike (their shared attributes)."""

    corpus: TaggingCorpus
    split: str
    reward_mode: str
    tag_names: tuple[str, ...]
    vocab: Vocabulary
    max_length: int
    observation: str
    _tables: IOBTables
    _features: TaggingFeatures | None


class TextNEREnv(_NERAttributes, gym.Env[dict[str, np.ndarray], int | np.int64]):
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

    With ``observation="features"``, for MLP agents (SB3's ``MlpPolicy``, CleanRL's PPO),
    a ``Box(0, 1, (D + 2 * (n_tags + 1) + 3,), float32)`` instead, ``D = feature_dim``:

    | slots               | meaning                                                       |
    |---------------------|---------------------------------------------------------------|
    | `0 .. D-1`          | hashed features of the current word and two words each side   |
    | `D .. D+n_tags`     | the previous word's chosen tag, one-hot (slot `D`: none yet)   |
    | next `n_tags + 1`   | the tag two words back, one-hot (first slot: none yet)          |
    | last 3              | position / `max_length`, last word?, position / sentence length |

    The current word: its form, lower case, shape (``Xx``, ``d``, ...), 2- and 3-letter
    prefixes and suffixes, shape with whether it opens the sentence; the words one away:
    lower case and shape; two away: lower case (see :mod:`textenvs.envs.features`: each
    feature string sets slot ``crc32(string) % D``, the same in every process). After the
    last word the hashed slots are 0.

    Word ids come from ``env.unwrapped.vocab``, built from the training split
    (case-sensitive). Transformer agents tokenize the raw words from ``info["words"]``.
    Every reset's ``info`` holds the ``"words"``, the sentence's ``"index"`` in the split and
    an ``"episode_id"``, an int that numbers the episode (agents recognise episodes by it).

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

    The rewards are per sentence, so a learner maximises the mean sentence F1, while model
    selection and reports use the corpus micro-F1 (seqeval's, over all entities of a split):
    the two differ, since an entity-free sentence counts 1.0 in the first and nothing in
    the second, and a long sentence weighs more in the second. Corpus scores in seqeval's
    strict IOB2 mode: ``corpus_span_scores(gold, pred, strict=True)``.

    ## Starting State

    A sentence of the split drawn uniformly with ``self.np_random``, or the one at
    ``reset(options={"index": i})`` (to walk a split in order for evaluation).

    ## Episode End

    * Termination: every word of the sentence is tagged, or, for a sentence longer than
      ``max_length``, its first ``max_length`` words are: the rest is never shown and counts
      as ``O`` in the final scores (so a cut sentence can lose recall, never gain precision).
      The cut is part of the task (the observation shows it), not a time limit, so the
      episode terminates rather than truncates: value bootstrapping past it would be wrong.
    * Truncation: never.

    At the last step ``info`` holds ``"gold_tags"`` and ``"pred_tags"`` (tag strings for the
    whole sentence), the sentence's ``"precision"``, ``"recall"`` and ``"f1"``, and
    ``"input_truncated"`` (True if the sentence was cut at ``max_length``). Corpus
    scores over many episodes: :func:`textenvs.metrics.corpus_span_scores` on those lists.

    ## Arguments

    ```python
    gym.make("TextNER-v0", split="train", reward="delta_f1", max_length=64,
             dataset=None, vocab=None, tag_names=None, render_mode=None,
             observation="ids", feature_dim=2048)
    ```

    * ``split``: ``"train"``, ``"validation"`` or ``"test"``.
    * ``reward``: ``"token"``, ``"f1"`` or ``"delta_f1"``.
    * ``max_length``: observation length in words.
    * ``dataset``: ``None`` for the built-in corpus, a mapping from split name to
      :class:`~textenvs.data.TaggedSentence` records (e.g. from ``load_conll``), or a
      sequence of records.
    * ``vocab``, ``tag_names``: reuse another env's vocabulary / tag order.
    * ``render_mode``: ``"ansi"`` renders words with their gold and chosen tags.
    * ``observation``: ``"ids"`` (word ids, for transformer agents) or ``"features"``
      (a float vector, for MLP agents); ``feature_dim``: its hashed slots (default 2048).

    ## Vectorized environment

    ``gym.make_vec("TextNER-v0", num_envs=64)`` returns a :class:`TextNERVectorEnv`, which
    steps all sentences with numpy array operations and resets finished ones on the next
    step (Gymnasium's ``NEXT_STEP`` autoreset), matching ``SyncVectorEnv`` step for step.

    ## Version History

    * v0: Initial version; ``observation="features"`` added in textenvs 0.2.
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
        observation: ObservationKind = "ids",
        feature_dim: int = 2048,
    ) -> None:
        _setup(
            self,
            split,
            reward,
            max_length,
            dataset,
            vocab,
            tag_names,
            render_mode,
            observation,
            feature_dim,
        )
        self.action_space = spaces.Discrete(len(self.tag_names))
        self.observation_space = _observation_space(self)
        self._index = -1
        self._steps = 0
        self._position = 0
        self._gold: list[int] = []
        self._pred = np.full(max_length, -1, dtype=np.int64)
        self._word_ids = np.zeros(max_length, dtype=np.int64)
        self._mask = np.zeros(max_length, dtype=np.int8)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on a random sentence, or on ``options["index"]``."""
        super().reset(seed=seed)
        index = record_index(self, options, len(self.corpus))
        corpus = self.corpus
        self._index = index
        self._steps = int(corpus.steps[index])
        self._position = 0
        self._gold = corpus.gold_ids[index, : self._steps].tolist()
        self._word_ids = corpus.word_ids[index]
        self._mask = corpus.attention_mask[index]
        self._pred[:] = -1
        # Entity bookkeeping of the tagged prefix (see IOBTables): a state, and the counts
        # of exactly-found closed entities, predicted entities and gold entities.
        self._state = 0
        self._closed_correct, self._n_pred, self._n_gold = 0, 0, 0
        self._last_f1 = 0.0
        info = {"words": list(corpus.sentences[index].words), "index": index}
        info["episode_id"] = next_episode_id(self, seed)
        return self._observation(), info

    def step(
        self, action: int | np.int64
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Tag the current word with ``action``."""
        if self._index < 0:
            raise InvalidActionError("call reset() before step()")
        if self._position >= self._steps:
            raise InvalidActionError("the episode has ended; call reset() to start another")
        tag = action_id(action, len(self.tag_names))
        i = self._position
        gold = self._gold[i]
        self._pred[i] = tag
        tables = self._tables
        transition = tables.transition(self._state, tag, gold)
        self._state = tables.next_state_list[transition]
        closed_correct, opened_pred, opened_gold = tables.deltas_list[transition]
        self._closed_correct += closed_correct
        self._n_pred += opened_pred
        self._n_gold += opened_gold
        self._position = i + 1

        terminated = self._position == self._steps
        info = self._episode_info() if terminated else {}
        if self.reward_mode == "token":
            reward = 1.0 if tag == gold else 0.0
        elif self.reward_mode == "f1":
            reward = info["f1"] if terminated else 0.0
        else:
            f1 = (
                info["f1"]
                if terminated
                else self._prefix_counts().scores(nothing_to_find=1.0)["f1"]
            )
            reward, self._last_f1 = f1 - self._last_f1, f1
        return self._observation(), reward, terminated, False, info

    def action_masks(self) -> np.ndarray:
        """Which tags keep the chosen sequence valid IOB2 at the current word (bool array)."""
        return self._tables.valid[self._state].copy()

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: one line per word with its gold and chosen tags."""
        if self.render_mode != "ansi" or self._index < 0:
            return None
        return render_tagging(
            self.corpus.sentences[self._index].words,
            self.corpus.sentences[self._index].tags,
            [self.tag_names[t] for t in self._pred[: self._position]],
        )

    def _observation(self) -> Any:
        if self._features is not None:
            return self._features.single(self._index, self._position, self._pred, self.max_length)
        return {
            "word_ids": self._word_ids.copy(),
            "attention_mask": self._mask.copy(),
            "position": np.int64(self._position),
            "tags": self._pred.copy(),
        }

    def _prefix_counts(self) -> SpanCounts:
        correct = self._closed_correct + self._state % 2  # + the aligned open entities
        return SpanCounts(correct, self._n_pred, self._n_gold)

    def _episode_info(self) -> dict[str, Any]:
        """The end-of-episode info; a cut sentence's untagged rest counts as ``O``."""
        sentence = self.corpus.sentences[self._index]
        cut = bool(self.corpus.truncated[self._index])
        pred_tags = [self.tag_names[t] for t in self._pred[: self._steps]]
        pred_tags += ["O"] * (len(sentence) - len(pred_tags))
        counts = count_spans(sentence.tags, pred_tags) if cut else self._prefix_counts()
        return {
            "gold_tags": list(sentence.tags),
            "pred_tags": pred_tags,
            **counts.scores(nothing_to_find=1.0),
            "input_truncated": cut,
        }


class TextNERVectorEnv(_NERAttributes, TextVectorEnv):
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

    _state_arrays = ("_episode", "_counters", "_last_f1", "_pred")

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
        observation: ObservationKind = "ids",
        feature_dim: int = 2048,
    ) -> None:
        _setup(
            self,
            split,
            reward,
            max_length,
            dataset,
            vocab,
            tag_names,
            render_mode,
            observation,
            feature_dim,
        )
        self._init_batch(num_envs, spaces.Discrete(len(self.tag_names)), _observation_space(self))
        self._tag_name_array = np.array(self.tag_names, dtype=object)
        # The corpus's per-sentence episode facts, gathered into sub-envs in one operation.
        corpus = self.corpus
        self._sentence_facts = np.stack([np.arange(len(corpus)), corpus.steps, corpus.truncated])
        self._corpus_gold = np.pad(corpus.gold_ids, ((0, 0), (0, 1)))

        # Per sub-env state, one row per quantity so that a reset is a single assignment.
        # The rows are views (see _bind_rows): update them in place, never rebind them.
        self._episode = np.zeros((3, num_envs), dtype=np.int64)
        self._episode[0] = -1
        self._counters = np.zeros((5, num_envs), dtype=np.int64)
        self._bind_rows()
        self._last_f1 = np.zeros(num_envs)
        # Chosen tags, with one scratch column past max_length where the (ignored) action of
        # a sub-env waiting for its autoreset is written.
        self._pred = np.full((num_envs, max_length + 1), -1, dtype=np.int64)
        self._rows = np.arange(num_envs)

    def _bind_rows(self) -> None:
        self._index, self._steps, self._long = self._episode  # sentence, steps, cut short?
        self._position, self._state = self._counters[:2]
        self._counts = self._counters[2:]  # exactly found closed entities, predicted, gold

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind_rows()  # pickling copies views into separate arrays: make them views again

    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Tag the current word of every sentence; reset those that ended on the last step."""
        self._check_ready()
        tags = action_ids(actions, self.num_envs, len(self.tag_names))
        tables, position, state, counts = self._tables, self._position, self._state, self._counts
        gold = self._corpus_gold[self._index, position]
        self._pred[self._rows, position] = tags
        transition = tables.transition(state, tags, gold)
        np.take(tables.next_state, transition, out=state)
        # A sub-env waiting for its reset ignores its action: its counts must not move.
        counts += tables.deltas.take(transition, axis=1) * ~self._autoreset
        position += 1
        ended = (position == self._steps).nonzero()[0]

        if self.reward_mode == "token":
            rewards = (tags == gold).astype(np.float64)
        elif self.reward_mode == "f1":
            rewards = np.zeros(self.num_envs)
        else:  # F1 of the prefix; aligned open entities (odd states) count as found
            rewards = _prefix_f1(counts[0] + (state & 1), counts[1] + counts[2])
        terminated = np.zeros(self.num_envs, dtype=np.bool_)
        infos: dict[str, Any] = {}
        if ended.size:
            final_f1 = self._add_episode_infos(infos, ended)
            if self.reward_mode != "token":
                rewards[ended] = final_f1
            terminated[ended] = True
        if self.reward_mode == "delta_f1":
            rewards, self._last_f1 = rewards - self._last_f1, rewards

        waiting = self._autoreset.nonzero()[0]
        if waiting.size:
            infos.update(self._start_episodes(waiting, None))
            rewards[waiting] = 0.0
        self._autoreset = terminated
        return self._observations(), rewards, terminated, np.zeros_like(terminated), infos

    def action_masks(self) -> np.ndarray:
        """``(num_envs, n_tags)``: the tags that keep each sentence valid IOB2."""
        return self._tables.valid[self._state]

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

    def _reset_envs(self, envs: np.ndarray, index: Any) -> dict[str, Any]:
        """Start new sentences in sub-envs ``envs``; return their reset infos, batched."""
        sentences = self.corpus.sentences
        env_list = envs.tolist()
        rows = self._draw_records(env_list, index, len(sentences))
        self._episode[:, envs] = self._sentence_facts[:, rows]
        self._counters[:, envs] = 0
        self._last_f1[envs] = 0.0
        self._pred[envs] = -1
        words = np.full(self.num_envs, None, dtype=object)
        for env, row in zip(env_list, rows):
            words[env] = list(sentences[row].words)
        index_info = np.zeros(self.num_envs, dtype=np.int64)
        index_info[envs] = rows
        return batched_info(envs, words=words, index=index_info)

    def _add_episode_infos(self, infos: dict[str, Any], ended: np.ndarray) -> list[float]:
        """Add the end-of-episode infos of sub-envs ``ended``; return their final F1s.

        Few sub-envs end at once, so this works on Python lists, not numpy arrays.
        """
        counts = self._counts[:, ended]
        counts[0] += self._state[ended] & 1  # aligned open entities end here: found
        names, sentences = self.tag_names, self.corpus.sentences
        gold_tags = np.full(self.num_envs, None, dtype=object)
        pred_tags = np.full(self.num_envs, None, dtype=object)
        scores = []
        for env, row, chosen_ids, correct, predicted, gold in zip(
            ended.tolist(),
            self._index[ended].tolist(),
            self._pred[ended].tolist(),
            *counts.tolist(),
        ):
            sentence = sentences[row]
            chosen = [names[t] for t in chosen_ids[: len(sentence)] if t >= 0]
            if len(chosen) < len(sentence):  # cut at max_length: the untagged rest counts as O
                chosen += ["O"] * (len(sentence) - len(chosen))
                exact = count_spans(sentence.tags, chosen)
                correct, predicted, gold = exact.correct, exact.predicted, exact.gold
            gold_tags[env], pred_tags[env] = list(sentence.tags), chosen
            scores.append(SpanCounts(correct, predicted, gold).scores(nothing_to_find=1.0))
        batched_scores = np.zeros((3, self.num_envs))  # precision, recall, f1 rows
        batched_scores[:, ended] = np.array([list(score.values()) for score in scores]).T
        precision, recall, f1 = batched_scores
        infos.update(
            batched_info(
                ended,
                gold_tags=gold_tags,
                pred_tags=pred_tags,
                precision=precision,
                recall=recall,
                input_truncated=self._long.astype(np.bool_) & _mask(self.num_envs, ended),
                f1=f1,
            )
        )
        return f1[ended]

    def _observations(self) -> Any:
        if self._features is not None:
            return self._features.batch(self._index, self._position, self._pred, self.max_length)
        return {
            "word_ids": self.corpus.word_ids[self._index],
            "attention_mask": self.corpus.attention_mask[self._index],
            "position": self._position.copy(),
            "tags": self._pred[:, :-1].copy(),
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


def _mask(size: int, indices: np.ndarray) -> np.ndarray:
    mask = np.zeros(size, dtype=np.bool_)
    mask[indices] = True
    return mask


def _prefix_f1(correct: np.ndarray, predicted_and_gold: np.ndarray) -> np.ndarray:
    """Sentence F1 from the counts, as SpanCounts.scores gives it: ``2c / (p + g)``.

    No gold and no predicted entity is 1.0: there was nothing to find. Computed per step (no
    table), so memory does not grow with ``max_length``.
    """
    f1 = 2 * correct / np.maximum(predicted_and_gold, 1)
    f1[predicted_and_gold == 0] = 1.0
    return f1


def _setup(
    env: TextNEREnv | TextNERVectorEnv,
    split: str,
    reward: str,
    max_length: int,
    dataset: DatasetArg,
    vocab: Vocabulary | None,
    tag_names: list[str] | tuple[str, ...] | None,
    render_mode: str | None,
    observation: str,
    feature_dim: int,
) -> None:
    """Check the arguments both envs share and set the attributes they share."""
    check_choice("reward", reward, REWARD_MODES)
    check_observation(observation, feature_dim)
    check_render_mode(env, render_mode)
    env.corpus = TaggingCorpus.build(
        dataset, split, vocab=vocab, tag_names=tag_names, max_length=max_length
    )
    env.split = split
    env.reward_mode = reward
    env.render_mode = render_mode
    env.tag_names = env.corpus.tag_names
    env.vocab = env.corpus.vocab
    env.max_length = max_length
    env._tables = env.corpus.tables
    env.observation = observation
    env._features = None
    if observation == "features":
        corpus = env.corpus
        env._features = TaggingFeatures(
            [s.words for s in corpus.sentences], corpus.steps, len(env.tag_names), feature_dim
        )


def _observation_space(env: TextNEREnv | TextNERVectorEnv) -> spaces.Space:
    """One episode's observation space: the ids ``Dict``, or the feature ``Box``."""
    return env._features.space if env._features is not None else env.corpus.observation_space()
