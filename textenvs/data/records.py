"""Record types for the datasets behind the environments."""

from __future__ import annotations

from dataclasses import dataclass

from textenvs.errors import InputError


class DataFormatError(InputError):
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


@dataclass(frozen=True)
class GenerationExample:
    """A prompt (e.g. a document to summarize) with one or more reference outputs.

    Attributes:
        prompt: the text the model conditions on.
        references: the reference outputs (at least one, none empty).
        sentences: the prompt split into sentences, when the source gave them (extractive
            summarization uses them; otherwise it splits the prompt itself).
    """

    prompt: str
    references: tuple[str, ...]
    sentences: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.prompt.strip():
            raise DataFormatError("a generation example needs a non-empty prompt")
        if not self.references or not all(r.strip() for r in self.references):
            raise DataFormatError(f"empty reference for prompt {self.prompt[:40]!r}")
