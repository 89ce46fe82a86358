"""A word vocabulary mapping words to integer ids, built from a training split."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from textenvs.errors import InputError

PAD_ID = 0
"""The id of padding positions."""
UNK_ID = 1
"""The id of words not in the vocabulary."""


class Vocabulary:
    """Word ids for an environment's observations.

    Ids 0 and 1 are ``<pad>`` and ``<unk>``; the other words follow in order of decreasing
    frequency (ties broken alphabetically), so the same corpus always gives the same ids.
    Words are kept case-sensitive: capitalisation is a strong cue for entities.

    Args:
        words: the vocabulary's words, without the two special tokens.
    """

    specials = ("<pad>", "<unk>")

    def __init__(self, words: Iterable[str]) -> None:
        self.words: tuple[str, ...] = self.specials + tuple(words)
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise InputError("vocabulary words must be unique and differ from <pad>, <unk>")

    @classmethod
    def from_sentences(
        cls, sentences: Iterable[Sequence[str]], *, min_count: int = 1
    ) -> Vocabulary:
        """Build a vocabulary from tokenized sentences, keeping words seen ``min_count`` times."""
        counts = Counter(word for sentence in sentences for word in sentence)
        for special in cls.specials:  # a corpus's own "<unk>" word maps to the unknown id
            counts.pop(special, None)
        kept = sorted(
            (w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w)
        )
        return cls(kept)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    def encode(self, words: Sequence[str]) -> np.ndarray:
        """The ids of some words (``UNK_ID`` for unknown ones), as an int64 array."""
        get = self.index.get
        return np.fromiter((get(w, UNK_ID) for w in words), dtype=np.int64, count=len(words))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.words == other.words

    def __hash__(self) -> int:
        return hash(self.words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words)"
