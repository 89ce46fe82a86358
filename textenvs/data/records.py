"""Record types for the datasets behind the environments."""

from __future__ import annotations

from dataclasses import dataclass


class DataFormatError(ValueError):
    """Malformed input data. The message names the source and, where known, the line."""


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence with one tag per word (IOB2 once loaded).

    Attributes:
        words: the sentence's words, as tokenized by the corpus.
        tags: one tag per word, e.g. ``("B-PER", "I-PER", "O")``.
    """

    words: tuple[str, ...]
    tags: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise DataFormatError(
                f"{len(self.words)} words but {len(self.tags)} tags: {list(self.words)[:8]}"
            )
        if not self.words:
            raise DataFormatError("a tagged sentence needs at least one word")

    def __len__(self) -> int:
        return len(self.words)


@dataclass(frozen=True)
class LabeledText:
    """One text with its class label.

    Attributes:
        text: the raw text.
        label: the class name, e.g. ``"positive"``.
    """

    text: str
    label: str

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise DataFormatError("a labeled text needs some text")
        if not self.label:
            raise DataFormatError(f"empty label for text {self.text[:40]!r}")
