"""Loaders for labeled texts: CSV/TSV, JSONL, Hugging Face datasets, the built-in corpora.

Every loader returns a list of :class:`~textenvs.data.records.LabeledText` and raises
:class:`~textenvs.data.records.DataFormatError` naming the file and line (or row) of the
first problem: a missing column, an empty text, a label outside the label set, no rows.
"""

from __future__ import annotations

import csv
import numbers
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from textenvs.data.files import check_names, check_text, read_delimited
from textenvs.data.jsonl import json_fields
from textenvs.data.loaders import SPLITS
from textenvs.data.records import DataFormatError, LabeledText
from textenvs.errors import InputError

BUILTIN_CLASSIFICATION = {
    "sentiment": ("negative", "positive"),
    "topic": ("world", "sports", "business", "science"),
}
"""The built-in classification corpora and their labels, in class order."""

Columns = str | Sequence[str]
"""One column name, or several whose values are joined with a space (e.g. title + body)."""


def load_delimited(
    path: str | Path,
    *,
    text_column: Columns = "text",
    label_column: str = "label",
    delimiter: str | None = None,
    fieldnames: Sequence[str] | None = None,
    label_map: Mapping[str, str] | None = None,
    labels: Iterable[str] | None = None,
) -> list[LabeledText]:
    """Load a CSV or TSV file of texts and labels.

    Args:
        path: the file. ``.tsv`` files are tab-separated, others comma-separated, unless
            ``delimiter`` says otherwise.
        text_column: the text column, or several columns joined with a space.
        label_column: the label column.
        delimiter: the field delimiter.
        fieldnames: column names for a file without a header row (e.g. AG News's
            ``["label", "title", "description"]``); by default the first row is the header.
        label_map: raw label -> class name (e.g. ``{"0": "negative", "1": "positive"}``).
        labels: the allowed class names; any other label is an error.

    Raises:
        DataFormatError: a missing column, an empty text, an unknown label, no rows; see also
            :func:`~textenvs.data.files.read_delimited` (not UTF-8, NUL, a malformed row).
    """
    path = Path(path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    text_columns = [text_column] if isinstance(text_column, str) else list(text_column)
    table = read_delimited(
        path,
        delimiter=delimiter,
        fieldnames=fieldnames,
        quoting=quoting,
        columns=[*text_columns, label_column],
    )
    rows = (
        (
            where,
            " ".join((row.get(c) or "").strip() for c in text_columns),
            row.get(label_column),
        )
        for where, row in table
    )
    return _records(rows, str(path), label_map, labels)


def load_text_jsonl(
    path: str | Path,
    *,
    text_key: str = "text",
    label_key: str = "label",
    label_map: Mapping[str, str] | None = None,
    labels: Iterable[str] | None = None,
) -> list[LabeledText]:
    """Load JSON lines, one ``{"text": ..., "label": ...}`` object per line.

    Args:
        path: the file.
        text_key: the key of the text.
        label_key: the key of the label.
        label_map: raw label (as a string) -> class name.
        labels: the allowed class names.

    Raises:
        DataFormatError: invalid JSON, a missing key, an empty text, an unknown label, no rows.
    """
    path = Path(path)
    rows = ((where, *fields) for where, fields in json_fields(path, (text_key, label_key)))
    return _records(rows, str(path), label_map, labels)


def text_from_hf_dataset(
    dataset: Any,
    *,
    text_column: str = "text",
    label_column: str = "label",
    labels: Iterable[str] | None = None,
) -> list[LabeledText]:
    """Convert a Hugging Face ``datasets.Dataset`` of labeled texts.

    Integer labels with a ``ClassLabel`` feature become its class names.

    Raises:
        DataFormatError: a missing column, an empty text, an unknown label, no rows.
    """
    source = "datasets.Dataset"
    columns = list(getattr(dataset, "column_names", []))
    for column in (text_column, label_column):
        if column not in columns:
            raise DataFormatError(f"{source}: no column {column!r} (columns: {columns})")
    names = getattr(dataset.features[label_column], "names", None)
    label_map = {str(i): name for i, name in enumerate(names)} if names else None
    rows = (
        (f"{source} row {i}", row[text_column], row[label_column]) for i, row in enumerate(dataset)
    )
    return _records(rows, source, label_map, labels)


@cache
def _builtin(name: str, split: str) -> tuple[LabeledText, ...]:
    corpus = resources.files("textenvs.data.builtin") / name / f"{split}.jsonl"
    with resources.as_file(corpus) as path:
        return tuple(load_text_jsonl(path, labels=BUILTIN_CLASSIFICATION[name]))


def load_builtin_classification(name: str = "sentiment", split: str = "train") -> list[LabeledText]:
    """A classification corpus shipped with textenvs, written for this project.

    Args:
        name: ``"sentiment"`` (negative / positive reviews) or ``"topic"`` (world, sports,
            business, science news).
        split: ``"train"``, ``"validation"`` or ``"test"``.
    """
    if name not in BUILTIN_CLASSIFICATION:
        raise InputError(
            f"unknown built-in corpus {name!r}; expected one of {list(BUILTIN_CLASSIFICATION)}"
        )
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; expected one of {SPLITS}")
    return list(_builtin(name, split))


def _records(
    rows: Iterable[tuple[str, Any, Any]],
    source: str,
    label_map: Mapping[str, str] | None,
    labels: Iterable[str] | None,
) -> list[LabeledText]:
    """Check and convert ``(where, text, raw label)`` rows."""
    allowed = set(check_names(labels, "labels", source)) if labels is not None else None
    records = []
    for where, text, raw_label in rows:
        if isinstance(text, str):
            check_text(text, where)
        elif text is not None:
            raise DataFormatError(f"{where}: text must be a string, got {text!r:.40}")
        if not text or not text.strip():
            raise DataFormatError(f"{where}: empty text")
        # bool is an int subclass: a JSON true must not pass as label 1 (or become "True")
        if isinstance(raw_label, bool) or not isinstance(
            raw_label, (str, numbers.Integral, type(None))
        ):
            raise DataFormatError(
                f"{where}: label must be a string or an integer, got {raw_label!r:.40}"
            )
        label = check_text(str(raw_label), where, "label") if raw_label is not None else ""
        if label_map is not None:
            if label not in label_map:
                raise DataFormatError(
                    f"{where}: label {label!r} is not in the label map {sorted(label_map)}"
                )
            label = label_map[label]
        if not label:
            raise DataFormatError(f"{where}: empty label")
        if allowed is not None and label not in allowed:
            raise DataFormatError(
                f"{where}: label {label!r} is outside the label set {sorted(allowed or [])}"
            )
        records.append(LabeledText(text, label))
    if not records:
        raise DataFormatError(f"{source}: no texts found (empty file?)")
    return records
