"""A dataset folder: one file per split, read by the loader its name and kind call for.

``load_split_folder(path, kind)`` returns ``{split: records}`` for an env's ``dataset=``.
File names it recognises, per split (``train``, ``validation``, ``test``):

* tagging: ``<split>.conll`` / ``.txt`` / ``.iob`` (CoNLL columns), ``<split>.jsonl``
  (``tokens`` and ``tags``), or CoNLL-2003's own ``eng.train`` / ``eng.testa`` / ``eng.testb``;
* classification: ``<split>.jsonl`` (``text``, ``label``), ``<split>.tsv`` / ``.csv``
  (a ``text`` or ``sentence`` column and a ``label`` column);
* generation: ``<split>.jsonl`` (``source``, ``reference``).

``dev`` and ``valid`` stand for ``validation``. A training split is required.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from textenvs.data.files import read_header
from textenvs.data.generation_loaders import load_pairs_jsonl
from textenvs.data.loaders import load_conll, load_jsonl
from textenvs.data.records import DataFormatError
from textenvs.data.text_loaders import load_delimited, load_text_jsonl

Kind = Literal["tagging", "classification", "generation"]
SPLIT_NAMES = {
    "train": ("train", "eng.train"),
    "validation": ("validation", "dev", "valid", "eng.testa"),
    "test": ("test", "eng.testb"),
}


def _delimited(path: Path) -> list[Any]:
    tsv = path.suffix == ".tsv"  # read as load_delimited reads it: tabs, no quoting
    header = read_header(
        path, delimiter="\t" if tsv else ",", quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL
    )
    column = next((c for c in ("text", "sentence") if c in header), None)
    if column is None:
        raise DataFormatError(f"{path}:1: no 'text' or 'sentence' column in {header}")
    return load_delimited(path, text_column=column)


LOADERS: dict[str, dict[str, Callable[[Path], list[Any]]]] = {
    "tagging": {
        ".conll": load_conll,
        ".txt": load_conll,
        ".iob": load_conll,
        ".jsonl": load_jsonl,
        "": load_conll,  # eng.train and friends
    },
    "classification": {".jsonl": load_text_jsonl, ".tsv": _delimited, ".csv": _delimited},
    "generation": {".jsonl": load_pairs_jsonl},
}


def load_split_folder(path: str | Path, kind: Kind) -> dict[str, list[Any]]:
    """Every split found in ``path`` for an env of ``kind``.

    Raises:
        DataFormatError: ``path`` is not a readable folder, holds no training split, or
            has a malformed file (the message names file and line).
    """
    folder = Path(path)
    if not folder.is_dir():
        is_file = " (it is a file)" if folder.exists() else ""
        raise DataFormatError(f"{folder}: not a readable folder{is_file}")
    loaders = LOADERS[kind]
    files: dict[str, tuple[Path, Callable[[Path], list[Any]]]] = {}
    for split, stems in SPLIT_NAMES.items():
        for stem in stems:
            found = [
                (folder / f"{stem}{suffix}", load)
                for suffix, load in loaders.items()
                if (folder / f"{stem}{suffix}").is_file() and (suffix or stem.startswith("eng."))
            ]
            if found:
                files[split] = found[0]
                break
    if "train" not in files:
        names = ", ".join(f"train{suffix}" for suffix in loaders if suffix)
        raise DataFormatError(f"{folder}: no training split (expected {names})")
    return {split: load(file) for split, (file, load) in files.items()}
