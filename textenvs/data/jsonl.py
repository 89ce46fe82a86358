"""Reading JSON-lines files with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from textenvs.data.files import read_lines
from textenvs.data.records import DataFormatError


def json_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """For each non-blank line, ``("path:line", the JSON object on it)``.

    Raises:
        DataFormatError: see :func:`~textenvs.data.files.read_text`; invalid JSON, a line
            that is not an object.
    """
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(f"{where}: invalid JSON: {error.msg}") from None
        except RecursionError:
            raise DataFormatError(f"{where}: invalid JSON: nested too deeply") from None
        if not isinstance(record, dict):
            raise DataFormatError(f"{where}: expected a JSON object per line")
        yield where, record


def json_fields(path: Path, keys: tuple[str, ...]) -> Iterator[tuple[str, list[Any]]]:
    """For each non-blank line, ``("path:line", [record[key] for key in keys])``.

    Raises:
        DataFormatError: invalid JSON, a line that is not an object, a missing key.
    """
    for where, record in json_objects(path):
        for key in keys:
            if key not in record:
                raise DataFormatError(f"{where}: no key {key!r} (keys: {sorted(record)})")
        yield where, [record[key] for key in keys]
