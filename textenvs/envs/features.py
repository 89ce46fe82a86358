"""Numeric observations that plain MLP policies learn from (``observation="features"``).

The default observations hold integer word ids: a transformer policy reads the words, but an
MLP (SB3's ``MlpPolicy``, CleanRL's agent) reads an id as a magnitude and has nothing to learn
from. With ``gym.make(env_id, observation="features")`` the tagging, classification and
extractive envs give instead a fixed-size ``float32`` vector in ``[0, 1]``, the way NLPGym
featurised its observations:

* a **hashed bag of features** of ``feature_dim`` slots: each feature string (``"lw=paris"``,
  ``"s3-1=the"``) sets slot ``crc32(string) % feature_dim`` to 1. CRC-32 is stable across
  runs and machines (Python's ``hash`` of a string is not), so observations are
  deterministic; unrelated features may share a slot, which a linear layer tolerates;
* a few **dense facts** after it (the tags already chosen, position, budget), documented in
  each env's docstring.

Every feature that depends only on the data (a word and its context, a sentence and its
document) is hashed once, when the env is made, into an index table; a step only scatters
precomputed indices into a zero vector, for one env or for a batch of sub-envs at once.
Numpy only: ``import textenvs`` still does not import torch.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from gymnasium import spaces

from textenvs.envs.common import check_choice
from textenvs.errors import InputError

ObservationKind = Literal["ids", "features"]
WordFeatures = Callable[[Sequence[str], int], list[str]]
"""The feature strings of word ``i`` of ``words`` (the same number for every word)."""
OBSERVATIONS: tuple[str, ...] = ("ids", "features")


def check_observation(observation: str, feature_dim: int) -> None:
    """Check an env's ``observation=`` and ``feature_dim=`` arguments."""
    check_choice("observation", observation, OBSERVATIONS)
    if isinstance(feature_dim, bool) or not isinstance(feature_dim, int) or feature_dim < 16:
        raise InputError(f"feature_dim must be an integer >= 16, got {feature_dim!r}")


def slot(feature: str, dim: int) -> int:
    """The hashed slot of a feature string: ``crc32(utf-8) % dim`` (stable across runs)."""
    return zlib.crc32(feature.encode("utf-8")) % dim


def word_shape(word: str) -> str:
    """A coarse shape, runs collapsed: ``Paris`` -> ``Xx``, ``U.S.`` -> ``X.X.``, ``7`` -> ``d``."""
    shape: list[str] = []
    for char in word:
        kind = "X" if char.isupper() else "x" if char.islower() else "d" if char.isdigit() else "."
        if not shape or shape[-1] != kind:
            shape.append(kind)
    return "".join(shape)


def feature_box(size: int) -> spaces.Box:
    """The observation space of a feature vector: ``Box(0, 1, (size,), float32)``."""
    return spaces.Box(0.0, 1.0, (size,), np.float32)


def scatter_ones(rows: int, width: int, row_of: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """A ``(rows, width)`` float32 zero array with 1 at ``(row_of[i], slots[i])``."""
    out = np.zeros((rows, width), dtype=np.float32)
    out.reshape(-1)[row_of * width + slots] = 1.0
    return out


class TokenTable:
    """Hashed feature slots of every word of a corpus, ``k`` per word, in one flat table.

    Attributes:
        starts: ``(n_records,)`` row of each record's first word in ``slots``.
        slots: ``(n_words, k)`` int64 slots of each word's features.
    """

    def __init__(self, starts: np.ndarray, slots: np.ndarray) -> None:
        self.starts = starts
        self.slots = slots

    @classmethod
    def build(
        cls, records: Sequence[Sequence[str]], features: WordFeatures, dim: int
    ) -> TokenTable:
        """Hash ``features(words, i)`` of each word ``i`` of each record (cached per string)."""
        cache: dict[str, int] = {}
        rows: list[list[int]] = []
        starts = np.zeros(len(records), dtype=np.int64)
        for record, words in enumerate(records):
            starts[record] = len(rows)
            for i in range(len(words)):
                row = []
                for feature in features(words, i):
                    index = cache.get(feature)
                    if index is None:
                        index = cache[feature] = slot(feature, dim)
                    row.append(index)
                rows.append(row)
        width = len(rows[0]) if rows else 0
        slots = np.array(rows, dtype=np.int64).reshape(len(rows), width)
        return cls(starts, slots)

    def words_of(
        self, records: np.ndarray, counts: np.ndarray, most: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, slots)`` of the first ``counts[i]`` words of ``records[i]`` (``<= most``)."""
        positions = np.arange(most)
        taken = positions[None, :] < counts[:, None]
        words = (self.starts[records][:, None] + positions[None, :])[taken]
        row_of = np.repeat(np.nonzero(taken)[0], self.slots.shape[1])
        return row_of, self.slots[words].reshape(-1)

    def first_words(self, record: int, count: int) -> np.ndarray:
        """The slots of the first ``count`` words of one record."""
        start = self.starts[record]
        return self.slots[start : start + count]


def tagging_word_features(words: Sequence[str], i: int) -> list[str]:
    """Word ``i`` of a sentence for a tagger: itself and a window of two words each side.

    The word: its form, lower case, shape, 2- and 3-letter prefixes and suffixes, and its
    shape with whether it opens the sentence; the words one away: lower case and shape; two
    away: lower case. ``<s>`` / ``</s>`` stand beyond the sentence.
    """
    word = words[i]
    lower, shape = word.lower(), word_shape(word)

    def near(offset: int, describe: Callable[[str], str]) -> str:
        j = i + offset
        return describe(words[j]) if 0 <= j < len(words) else "<s>" if j < 0 else "</s>"

    return [
        f"w={word}",
        f"lw={lower}",
        f"sh={shape}",
        f"p2={lower[:2]}",
        f"p3={lower[:3]}",
        f"s2={lower[-2:]}",
        f"s3={lower[-3:]}",
        f"first={i == 0},sh={shape}",
        f"lw-1={near(-1, str.lower)}",
        f"lw+1={near(1, str.lower)}",
        f"sh-1={near(-1, word_shape)}",
        f"sh+1={near(1, word_shape)}",
        f"lw-2={near(-2, str.lower)}",
        f"lw+2={near(2, str.lower)}",
    ]


def bag_word_features(words: Sequence[str], i: int) -> list[str]:
    """Word ``i`` of a text for a bag of words: its lower case, and the bigram it ends."""
    previous = words[i - 1].lower() if i > 0 else "<s>"
    return [f"lw={words[i].lower()}", f"bi={previous} {words[i].lower()}"]


class TaggingFeatures:
    """Feature observations of TextNER-v0 (see its docstring for the layout).

    ``[hashed word window (feature_dim) | previous tag (n_tags + 1) | tag before it
    (n_tags + 1) | position / max_length, last word?, fraction of the sentence tagged]``;
    the tag one-hots use slot 0 for "none yet".
    """

    def __init__(
        self, sentences: Sequence[Sequence[str]], steps: np.ndarray, n_tags: int, dim: int
    ) -> None:
        kept = [words[:n] for words, n in zip(sentences, steps.tolist())]  # never past the cut
        self.table = TokenTable.build(kept, tagging_word_features, dim)
        self.steps = steps
        self.dim, self.n_tags = dim, n_tags
        self.size = dim + 2 * (n_tags + 1) + 3
        self.space = feature_box(self.size)

    def batch(
        self, index: np.ndarray, position: np.ndarray, tags: np.ndarray, max_length: int
    ) -> np.ndarray:
        """Observations of sentences ``index`` at word ``position``, tags chosen ``tags``.

        ``tags`` is ``(n, >= max_length)``, -1 where no tag was chosen yet.
        """
        n = len(index)
        rows = np.arange(n)
        steps = self.steps[index]
        reading = position < steps  # at the end nothing is left to read
        words = self.table.starts[index[reading]] + position[reading]
        row_of = np.repeat(rows[reading], self.table.slots.shape[1])
        out = scatter_ones(n, self.size, row_of, self.table.slots[words].reshape(-1))
        previous = np.where(position > 0, tags[rows, np.maximum(position - 1, 0)], -1)
        before = np.where(position > 1, tags[rows, np.maximum(position - 2, 0)], -1)
        out[rows, self.dim + 1 + previous] = 1.0
        out[rows, self.dim + self.n_tags + 2 + before] = 1.0
        out[:, -3] = position / max_length
        out[:, -2] = position == steps - 1
        out[:, -1] = position / np.maximum(steps, 1)
        return out

    def single(self, index: int, position: int, tags: np.ndarray, max_length: int) -> np.ndarray:
        """One sentence's observation (as :meth:`batch`, without the batch overhead)."""
        out = np.zeros(self.size, dtype=np.float32)
        steps = int(self.steps[index])
        if position < steps:
            out[self.table.slots[self.table.starts[index] + position]] = 1.0
        previous = int(tags[position - 1]) if position > 0 else -1
        before = int(tags[position - 2]) if position > 1 else -1
        out[self.dim + 1 + previous] = 1.0
        out[self.dim + self.n_tags + 2 + before] = 1.0
        out[-3] = position / max_length
        out[-2] = position == steps - 1
        out[-1] = position / max(steps, 1)
        return out


class BagFeatures:
    """Feature observations of TextClassification-v0 (see its docstring for the layout).

    ``[hashed bag of the words read and their bigrams (feature_dim) | fraction of the
    readable words read, words read / max_length]``.
    """

    def __init__(self, texts: Sequence[Sequence[str]], visible: np.ndarray, dim: int) -> None:
        kept = [words[:n] for words, n in zip(texts, visible.tolist())]  # never past the cut
        self.table = TokenTable.build(kept, bag_word_features, dim)
        self.visible = visible
        self.dim = dim
        self.size = dim + 2
        self.space = feature_box(self.size)

    def batch(self, index: np.ndarray, read: np.ndarray, max_length: int) -> np.ndarray:
        """Observations of texts ``index`` with their first ``read`` words read."""
        counts = np.minimum(read, self.visible[index])
        out = scatter_ones(len(index), self.size, *self.table.words_of(index, counts, max_length))
        out[:, -2] = read / np.maximum(self.visible[index], 1)
        out[:, -1] = read / max_length
        return out

    def single(self, index: int, read: int, max_length: int) -> np.ndarray:
        """One text's observation (as :meth:`batch`, without the batch overhead)."""
        out = np.zeros(self.size, dtype=np.float32)
        visible = int(self.visible[index])
        out[self.table.first_words(index, min(read, visible))] = 1.0
        out[-2] = read / max(visible, 1)
        out[-1] = read / max_length
        return out


_FUNCTION_WORDS = """
a an and are as at be but by for from had has have he her his i in is it its of on or our she
that the their them they this to was we were which who will with you
"""
STOP_WORDS = frozenset(_FUNCTION_WORDS.split())
"""Function words left out of the extractive overlaps (they say nothing of content)."""


def content_words(words: Sequence[str]) -> set[str]:
    """The lower-cased words of a sentence that carry content: alphanumeric, not stop words."""
    return {w for w in (word.lower() for word in words) if w.isalnum() and w not in STOP_WORDS}


class ExtractiveFeatures:
    """Feature observations of TextExtractiveSummarization-v0 (see its docstring).

    ``[hashed bag of the current sentence's words and bigrams (feature_dim) | position /
    max_sentences, first sentence?, words / max_sentence_words, overlap with the rest of the
    document, largest and mean overlap with a selected sentence, fraction of the sentences
    selected, word budget left, sentences left / max_sentences]``. An overlap is the share of
    the current sentence's content words (:func:`content_words`) found in the other.
    """

    N_FACTS = 9

    def __init__(
        self,
        documents: Sequence[Sequence[Sequence[str]]],
        n_sentences: np.ndarray,
        max_sentences: int,
        max_sentence_words: int,
        dim: int,
    ) -> None:
        n = len(documents)
        kept = [[words[:max_sentence_words] for words in doc[:max_sentences]] for doc in documents]
        firsts = np.cumsum([0] + [len(doc) for doc in kept])[:-1]
        self.first_sentence = firsts.astype(np.int64)  # record of each document's sentence 0
        self.table = TokenTable.build([s for doc in kept for s in doc], bag_word_features, dim)
        self.lengths = np.array([len(s) for doc in kept for s in doc] or [0], dtype=np.int64)
        self.overlap = np.zeros((n, max_sentences, max_sentences), dtype=np.float32)
        self.centrality = np.zeros((n, max_sentences), dtype=np.float32)
        for row, document in enumerate(documents):
            sets = [content_words(words) for words in document[:max_sentences]]
            for i, words in enumerate(sets):
                if not words:
                    continue
                others = set().union(*(sets[:i] + sets[i + 1 :]))
                self.centrality[row, i] = len(words & others) / len(words)
                for j, other in enumerate(sets):
                    if j != i:
                        self.overlap[row, i, j] = len(words & other) / len(words)
        self.n_sentences = n_sentences
        self.max_sentences, self.max_sentence_words = max_sentences, max_sentence_words
        self.dim = dim
        self.size = dim + self.N_FACTS
        self.space = feature_box(self.size)

    def batch(
        self,
        index: np.ndarray,
        position: np.ndarray,
        selected: np.ndarray,
        budget_left: np.ndarray,
    ) -> np.ndarray:
        """Observations of documents ``index`` at sentence ``position``.

        ``selected`` is ``(n, >= max_sentences)`` 0/1; ``budget_left`` the share of the word
        budget still free (1.0 without a budget).
        """
        n = len(index)
        total = self.n_sentences[index]
        current = np.minimum(position, self.max_sentences - 1)
        offered = position < total
        # past a document's last sentence nothing is offered: any valid record, no words
        records = np.minimum(self.first_sentence[index] + current, len(self.lengths) - 1)
        counts = np.where(offered, self.lengths[records], 0)
        out = scatter_ones(
            n, self.size, *self.table.words_of(records, counts, self.max_sentence_words)
        )
        chosen = selected[:, : self.max_sentences].astype(np.float32)
        overlaps = self.overlap[index, current] * chosen
        n_chosen = chosen.sum(axis=1)
        facts = out[:, self.dim :]
        facts[:, 0] = position / self.max_sentences
        facts[:, 1] = position == 0
        facts[:, 2] = counts / self.max_sentence_words
        facts[:, 3] = self.centrality[index, current] * offered
        facts[:, 4] = overlaps.max(axis=1) * offered
        facts[:, 5] = overlaps.sum(axis=1) / np.maximum(n_chosen, 1) * offered
        facts[:, 6] = n_chosen / np.maximum(total, 1)
        facts[:, 7] = budget_left
        facts[:, 8] = (total - position) / self.max_sentences
        return out

    def single(
        self, index: int, position: int, selected: np.ndarray, budget_left: float
    ) -> np.ndarray:
        """One document's observation (as :meth:`batch`, without the batch overhead)."""
        out = np.zeros(self.size, dtype=np.float32)
        total = int(self.n_sentences[index])
        current = min(position, self.max_sentences - 1)
        offered = position < total
        count = 0
        if offered:
            record = int(self.first_sentence[index]) + current
            count = int(self.lengths[record])
            out[self.table.first_words(record, min(count, self.max_sentence_words))] = 1.0
        chosen = np.flatnonzero(selected[: self.max_sentences])
        overlaps = self.overlap[index, current, chosen]
        facts = out[self.dim :]
        facts[0] = position / self.max_sentences
        facts[1] = position == 0
        facts[2] = count / self.max_sentence_words
        if offered:
            facts[3] = self.centrality[index, current]
            if len(chosen):
                facts[4] = overlaps.max()
                facts[5] = overlaps.sum() / len(chosen)
        facts[6] = len(chosen) / max(total, 1)
        facts[7] = budget_left
        facts[8] = (total - position) / self.max_sentences
        return out
