"""IOB tag parsing, validation and IOB1 -> IOB2 conversion.

Every tagged dataset in textenvs is stored in IOB2 (``B-X`` opens an entity, ``I-X``
continues it, ``O`` is outside), the scheme seqeval and Hugging Face datasets expect.
CoNLL-2003 ships in IOB1 (``I-X`` opens an entity unless it directly follows another
entity of the same type, which then starts with ``B-X``); :func:`iob1_to_iob2` converts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

from textenvs.errors import InputError

Scheme = Literal["auto", "iob1", "iob2"]
"""How a loader reads the tag column: detect, convert from IOB1, or require IOB2."""

OUTSIDE = "O"


class TagError(InputError):
    """A tag or tag sequence that breaks the IOB scheme."""


@lru_cache(maxsize=4096)
def split_tag(tag: str) -> tuple[str, str]:
    """Split a tag into its prefix and entity type.

    Args:
        tag: ``"O"``, ``"B-TYPE"`` or ``"I-TYPE"``.

    Returns:
        ``("O", "")`` for the outside tag, else ``(prefix, type)``, e.g. ``("B", "PER")``.

    Raises:
        TagError: if the tag is not an IOB tag or has no entity type.
    """
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, sep, entity_type = tag.partition("-")
    if prefix not in ("B", "I") or not sep:
        raise TagError(f"tag {tag!r} is not an IOB tag (expected O, B-TYPE or I-TYPE)")
    if not entity_type:
        raise TagError(f"tag {tag!r} has no entity type after {prefix}-")
    return prefix, entity_type


def continues_entity(tag: str, previous: str | None) -> bool:
    """Whether ``tag`` continues the entity of the tag before it: the IOB rule, written once.

    An ``I-X`` continues an entity only right after ``B-X`` or ``I-X``. Anything else opens
    an entity (``B-X``; an ``I-X`` that continues nothing, read leniently as seqeval does)
    or lies outside one (``O``). Metrics, IOB1 conversion, validation, the envs' action masks
    and rewards, and the tagging policy's masks all follow from this function.

    Args:
        tag: the tag.
        previous: the tag before it, or None at the start of a sentence.
    """
    prefix, entity_type = split_tag(tag)
    return prefix == "I" and previous is not None and split_tag(previous)[1] == entity_type


def allowed_after(tag: str, previous: str | None) -> bool:
    """Whether ``tag`` may follow ``previous`` in IOB2: all but an ``I-X`` continuing nothing."""
    return split_tag(tag)[0] != "I" or continues_entity(tag, previous)


def first_iob2_violation(tags: Sequence[str]) -> int | None:
    """Return the index of the first ``I-X`` that does not continue an ``X`` entity.

    In IOB2 an ``I-X`` must follow ``B-X`` or ``I-X``. Returns ``None`` for a valid sequence.
    """
    for i, tag in enumerate(tags):
        if not allowed_after(tag, tags[i - 1] if i else None):
            return i
    return None


def iob1_to_iob2(tags: Sequence[str]) -> list[str]:
    """Convert one sentence's IOB1 tags to IOB2.

    An ``I-X`` that does not continue an entity of type ``X`` (sentence start, after ``O``
    or after another type) becomes ``B-X``; everything else is kept. The entities are the
    ones seqeval reads from the IOB1 input.
    """
    converted: list[str] = []
    for i, tag in enumerate(tags):
        if not allowed_after(tag, tags[i - 1] if i else None):
            tag = f"B-{split_tag(tag)[1]}"
        converted.append(tag)
    return converted


def tag_names_for(entity_types: Iterable[str]) -> tuple[str, ...]:
    """The canonical tag list for some entity types: ``O``, then ``B-X``, ``I-X`` per type.

    Types are sorted so that the same types always give the same action order.
    """
    names = [OUTSIDE]
    for entity_type in sorted(set(entity_types)):
        names += [f"B-{entity_type}", f"I-{entity_type}"]
    return tuple(names)


def entity_types_of(tag_sequences: Iterable[Sequence[str]]) -> set[str]:
    """All entity types used in some tag sequences."""
    return {split_tag(tag)[1] for tags in tag_sequences for tag in tags if tag != OUTSIDE}
