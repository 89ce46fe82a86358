"""Loaders for tagged sentences: CoNLL files, JSONL, Hugging Face datasets, the built-in corpus.

Every loader returns a list of :class:`~textenvs.data.records.TaggedSentence` in IOB2 and
raises :class:`~textenvs.data.records.DataFormatError` naming the file and line (or row) of
the first problem it finds.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from textenvs.data.files import check_names, check_text, read_lines
from textenvs.data.jsonl import json_objects
from textenvs.data.records import DataFormatError, TaggedSentence
from textenvs.data.tags import Scheme, TagError, first_iob2_violation, iob1_to_iob2, split_tag
from textenvs.errors import InputError

SPLITS = ("train", "validation", "test")
"""The split names every built-in dataset has."""

CONLL_COLUMNS = {2: "word tag", 4: "word pos chunk tag"}


@dataclass
class _RawSentence:
    """A sentence as read, before tag checks, with a way to name where each token came from."""

    words: list[str]
    tags: list[str]
    where: Callable[[int], str]


def load_conll(
    path: str | Path,
    *,
    scheme: Scheme = "auto",
    entity_types: Iterable[str] | None = None,
) -> list[TaggedSentence]:
    """Load a CoNLL file: one ``word ... tag`` per line, a blank line between sentences.

    Both the 2-column layout (``word tag``) and the 4-column CoNLL-2003 layout
    (``word pos chunk tag``) are read; the tag is the last column. ``-DOCSTART-`` lines are
    skipped.

    Args:
        path: the file.
        scheme: ``"auto"`` converts IOB1 to IOB2 when any sentence is not valid IOB2,
            ``"iob1"`` always converts, ``"iob2"`` rejects sentences that are not IOB2.
        entity_types: if given, a tag of any other type is an error.

    Raises:
        DataFormatError: wrong column count, a bad tag, an empty file; see also
            :func:`~textenvs.data.files.read_text` (missing file, not UTF-8, NUL).
    """
    path = Path(path)
    raw: list[_RawSentence] = []
    words: list[str] = []
    tags: list[str] = []
    first_line = 0
    columns: int | None = None
    columns_line = 0

    def flush() -> None:
        nonlocal words, tags
        if words:
            start = first_line
            raw.append(_RawSentence(words, tags, lambda i: f"{path}:{start + i}"))
            words, tags = [], []

    for lineno, line in enumerate(read_lines(path), start=1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            flush()
            continue
        if len(fields) not in CONLL_COLUMNS:
            raise DataFormatError(
                f"{path}:{lineno}: expected 2 columns (word tag) or 4 (word pos chunk tag), "
                f"got {len(fields)}: {line.rstrip()!r}"
            )
        if columns is None:
            columns, columns_line = len(fields), lineno
        elif len(fields) != columns:
            raise DataFormatError(
                f"{path}:{lineno}: expected {columns} columns ({CONLL_COLUMNS[columns]}) as on "
                f"line {columns_line}, got {len(fields)}: {line.rstrip()!r}"
            )
        if not words:
            first_line = lineno
        words.append(fields[0])
        tags.append(fields[-1])
    flush()
    return _to_iob2(raw, str(path), scheme, entity_types)


def load_jsonl(
    path: str | Path,
    *,
    tokens_key: str = "tokens",
    tags_key: str = "tags",
    tag_names: Sequence[str] | None = None,
    scheme: Scheme = "auto",
    entity_types: Iterable[str] | None = None,
) -> list[TaggedSentence]:
    """Load JSON lines, one ``{"tokens": [...], "tags": [...]}`` object per line.

    Args:
        path: the file.
        tokens_key: the key of the word list.
        tags_key: the key of the tag list: tag strings, or integers when ``tag_names`` is given.
        tag_names: names of integer tags, in id order.
        scheme: see :func:`load_conll`.
        entity_types: see :func:`load_conll`.

    Raises:
        DataFormatError: invalid JSON, missing keys, lengths that differ, a bad tag (a tag id
            that is not an integer, e.g. ``true`` or ``"3"``), a NUL character, no records.
    """
    path = Path(path)
    if tag_names is not None:
        tag_names = check_names(tag_names, "tag_names", str(path))
    raw: list[_RawSentence] = []
    for where, record in json_objects(path):
        words = _string_list(record, tokens_key, where)
        tags = _tag_list(record.get(tags_key), tags_key, tag_names, where)
        raw.append(_checked_lengths(words, tags, where))
    return _to_iob2(raw, str(path), scheme, entity_types)


def from_hf_dataset(
    dataset: Any,
    *,
    tokens_column: str = "tokens",
    tags_column: str = "ner_tags",
    scheme: Scheme = "auto",
    entity_types: Iterable[str] | None = None,
) -> list[TaggedSentence]:
    """Convert a Hugging Face ``datasets.Dataset`` of tagged sentences.

    The tag column may hold integers with a ``ClassLabel`` feature (as the hub's
    ``conll2003`` does), whose names give the tags, or tag strings.

    Args:
        dataset: a ``datasets.Dataset`` (one split).
        tokens_column: the column of word lists.
        tags_column: the column of tag lists.
        scheme: see :func:`load_conll`.
        entity_types: see :func:`load_conll`.

    Raises:
        DataFormatError: a missing column, lengths that differ, a bad tag, no rows.
    """
    source = "datasets.Dataset"
    columns = list(getattr(dataset, "column_names", []))
    for column in (tokens_column, tags_column):
        if column not in columns:
            raise DataFormatError(f"{source}: no column {column!r} (columns: {columns})")
    tag_names = _class_label_names(dataset.features[tags_column])
    raw: list[_RawSentence] = []
    for index, row in enumerate(dataset):
        where = f"{source} row {index}"
        words = _string_list(row, tokens_column, where)
        tags = _tag_list(row[tags_column], tags_column, tag_names, where)
        raw.append(_checked_lengths(words, tags, where))
    return _to_iob2(raw, source, scheme, entity_types)


@cache
def _builtin_ner(split: str) -> tuple[TaggedSentence, ...]:
    corpus = resources.files("textenvs.data.builtin") / "ner" / f"{split}.conll"
    with resources.as_file(corpus) as path:
        return tuple(load_conll(path, scheme="iob2"))


def load_builtin_ner(split: str = "train") -> list[TaggedSentence]:
    """The NER corpus shipped with textenvs (PER, ORG, LOC, MISC; IOB2).

    Written for this project by ``textenvs/data/builtin/make_ner_corpus.py`` from hand-written
    templates and name lists: some names occur only in validation/test, and some words are
    a person in one sentence and a place or organisation in another.

    Args:
        split: ``"train"``, ``"validation"`` or ``"test"``.
    """
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; expected one of {SPLITS}")
    return list(_builtin_ner(split))


def _string_list(record: Any, key: str, where: str) -> list[str]:
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DataFormatError(f"{where}: {key!r} must be a list of strings, got {value!r:.80}")
    for item in value:
        check_text(item, where, f"a word of {key!r}")
    return value


def _tag_list(value: Any, key: str, tag_names: Sequence[str] | None, where: str) -> list[str]:
    if not isinstance(value, list):
        raise DataFormatError(f"{where}: {key!r} must be a list of tags, got {value!r:.80}")
    tags = []
    for item in value:
        # bool is an int subclass: a JSON true must not pass as tag id 1
        is_id = isinstance(item, numbers.Integral) and not isinstance(item, bool)
        if isinstance(item, str):
            if tag_names is not None and item.strip().isdigit():
                raise DataFormatError(
                    f"{where}: tag id {item!r} in {key!r} is a string; give tag ids as numbers"
                )
            tags.append(check_text(item, where, f"a tag of {key!r}"))
        elif is_id and tag_names is not None and 0 <= int(item) < len(tag_names):
            tags.append(tag_names[int(item)])
        else:
            known = f"one of 0..{len(tag_names) - 1}" if tag_names else "tag strings"
            raise DataFormatError(f"{where}: tag {item!r} in {key!r} is not {known}")
    return tags


def _checked_lengths(words: list[str], tags: list[str], where: str) -> _RawSentence:
    if len(words) != len(tags):
        raise DataFormatError(f"{where}: {len(words)} words but {len(tags)} tags")
    if not words:
        raise DataFormatError(f"{where}: empty sentence")
    return _RawSentence(words, tags, lambda i: f"{where}: token {i}")


def _class_label_names(feature: Any) -> list[str] | None:
    """The tag names of a ``Sequence(ClassLabel)`` / ``List(ClassLabel)`` feature, if any."""
    inner = getattr(feature, "feature", None)
    names = getattr(inner, "names", None)
    return list(names) if names else None


def _to_iob2(
    raw: list[_RawSentence],
    source: str,
    scheme: Scheme,
    entity_types: Iterable[str] | None,
) -> list[TaggedSentence]:
    """Check every tag, then convert IOB1 to IOB2 as ``scheme`` asks."""
    if scheme not in ("auto", "iob1", "iob2"):
        raise InputError(f"unknown tag scheme {scheme!r}; expected 'auto', 'iob1' or 'iob2'")
    if not raw:
        raise DataFormatError(f"{source}: no sentences found (empty file?)")
    allowed = None
    if entity_types is not None:
        allowed = set(check_names(entity_types, "entity_types", source))
    for sentence in raw:
        for i, tag in enumerate(sentence.tags):
            try:
                _, entity_type = split_tag(tag)
            except TagError as error:
                raise DataFormatError(f"{sentence.where(i)}: {error}") from None
            if allowed is not None and entity_type and entity_type not in allowed:
                raise DataFormatError(
                    f"{sentence.where(i)}: tag {tag!r} is outside the scheme "
                    f"(entity types: {sorted(allowed)})"
                )
    violations = [(s, first_iob2_violation(s.tags)) for s in raw]
    if scheme == "iob2":
        for sentence, index in violations:
            if index is not None:
                raise DataFormatError(
                    f"{sentence.where(index)}: {sentence.tags[index]!r} does not continue an "
                    "entity of its type, so this is not IOB2 (use scheme='iob1' or 'auto')"
                )
    convert = scheme == "iob1" or any(index is not None for _, index in violations)
    return [
        TaggedSentence(tuple(s.words), tuple(iob1_to_iob2(s.tags) if convert else s.tags))
        for s in raw
    ]
