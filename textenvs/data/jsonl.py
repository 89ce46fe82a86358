"""Reading JSON-lines files with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from textenvs.data.records import DataFormatError


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file, or a DataFormatError naming a missing or binary file."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None


def json_fields(path: Path, keys: tuple[str, ...]) -> Iterator[tuple[str, list[Any]]]:
    """For each non-blank line, ``("path:line", [record[key] for key in keys])``.

    Raises:
        DataFormatError: invalid JSON, a line that is not an object, a missing key.
    """
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(f"{where}: invalid JSON: {error.msg}") from None
        if not isinstance(record, dict):
            raise DataFormatError(f"{where}: expected a JSON object per line")
        for key in keys:
            if key not in record:
                raise DataFormatError(f"{where}: no key {key!r} (keys: {sorted(record)})")
        yield where, [record[key] for key in keys]
