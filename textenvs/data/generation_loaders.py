"""Loaders for prompt/reference pairs (summarization): JSONL, CSV/TSV, aligned line files, HF.

Every loader returns a list of :class:`~textenvs.data.records.GenerationExample` and raises
:class:`~textenvs.data.records.DataFormatError` naming the file and line (or row) of the
first problem: a missing column, an empty source or reference, files of different lengths.
A source given as a list of sentences (as SciTLDR's) is joined with spaces and its
sentences kept; a reference given as a list gives several references.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from textenvs.data.files import check_text, read_delimited, read_lines
from textenvs.data.jsonl import json_fields
from textenvs.data.loaders import SPLITS
from textenvs.data.records import DataFormatError, GenerationExample
from textenvs.errors import InputError


def load_pairs_jsonl(
    path: str | Path, *, source_key: str = "source", reference_key: str = "reference"
) -> list[GenerationExample]:
    """Load JSON lines with a source and a reference (or a list of references) per line.

    Raises:
        DataFormatError: invalid JSON, a missing key, an empty source or reference, no rows.
    """
    path = Path(path)
    rows = ((where, *fields) for where, fields in json_fields(path, (source_key, reference_key)))
    return _examples(rows, str(path))


def load_pairs_delimited(
    path: str | Path,
    *,
    source_column: str = "source",
    reference_column: str = "reference",
    delimiter: str | None = None,
) -> list[GenerationExample]:
    """Load a CSV or TSV file (with a header row) of sources and references.

    Raises:
        DataFormatError: a missing column, an empty source or reference, no rows.
    """
    path = Path(path)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    table = read_delimited(path, delimiter=delimiter, columns=(source_column, reference_column))
    rows = ((where, row.get(source_column), row.get(reference_column)) for where, row in table)
    return _examples(rows, str(path))


def load_aligned_lines(
    source_path: str | Path, reference_path: str | Path
) -> list[GenerationExample]:
    """Load line-aligned files: line i of the references summarizes line i of the sources.

    Works on Gigaword's ``input.txt`` / ``task1_ref0.txt``.

    Raises:
        DataFormatError: files of different lengths, an empty line, no lines.
    """
    sources, references = read_lines(Path(source_path)), read_lines(Path(reference_path))
    if len(sources) != len(references):
        raise DataFormatError(
            f"{source_path} has {len(sources)} lines but {reference_path} has {len(references)}"
        )
    rows = []
    for lineno, (source, reference) in enumerate(zip(sources, references), start=1):
        if not reference.strip():
            raise DataFormatError(f"{reference_path}:{lineno}: empty reference")
        rows.append((f"{source_path}:{lineno}", source, reference))
    return _examples(rows, str(source_path))


def pairs_from_hf_dataset(
    dataset: Any, *, source_column: str = "source", reference_column: str = "reference"
) -> list[GenerationExample]:
    """Convert a Hugging Face ``datasets.Dataset`` of sources and references.

    Raises:
        DataFormatError: a missing column, an empty source or reference, no rows.
    """
    source = "datasets.Dataset"
    columns = list(getattr(dataset, "column_names", []))
    for column in (source_column, reference_column):
        if column not in columns:
            raise DataFormatError(f"{source}: no column {column!r} (columns: {columns})")
    rows = (
        (f"{source} row {i}", row[source_column], row[reference_column])
        for i, row in enumerate(dataset)
    )
    return _examples(rows, source)


@cache
def _builtin(split: str) -> tuple[GenerationExample, ...]:
    corpus = resources.files("textenvs.data.builtin") / "summarization" / f"{split}.jsonl"
    with resources.as_file(corpus) as path:
        return tuple(load_pairs_jsonl(path))


def load_builtin_summarization(split: str = "train") -> list[GenerationExample]:
    """The news summarization corpus shipped with textenvs (source -> headline).

    Written for this project by ``textenvs/data/builtin/make_summarization_corpus.py``.
    """
    if split not in SPLITS:
        raise InputError(f"unknown split {split!r}; expected one of {SPLITS}")
    return list(_builtin(split))


def _examples(rows: Iterable[tuple[str, Any, Any]], source: str) -> list[GenerationExample]:
    examples = []
    for where, prompt, reference in rows:
        sentences = None
        if isinstance(prompt, list):
            sentences = tuple(s.strip() for s in _strings(prompt, where, "source") if s.strip())
            prompt = " ".join(sentences)
        elif prompt is not None and not isinstance(prompt, str):
            raise DataFormatError(f"{where}: source must be a string or a list of strings")
        if not prompt or not check_text(prompt, where, "source").strip():
            raise DataFormatError(f"{where}: empty source")
        references = tuple(
            _strings(reference if isinstance(reference, list) else [reference], where, "reference")
        )
        if not references or not all(r.strip() for r in references):
            raise DataFormatError(f"{where}: empty reference")
        examples.append(GenerationExample(prompt.strip(), references, sentences))
    if not examples:
        raise DataFormatError(f"{source}: no examples found (empty file?)")
    return examples


def _strings(values: list[Any], where: str, what: str) -> list[str]:
    """``values`` if each is a string without NUL (None counts as empty), else an error."""
    for value in values:
        if value is not None and not isinstance(value, str):
            raise DataFormatError(
                f"{where}: {what} must be a string or a list of strings, got {value!r:.40}"
            )
        if value is not None:
            check_text(value, where, what)
    return [value or "" for value in values]
