"""Reading the text files behind the loaders, with one-line errors naming file and line.

Every loader reads its files through :func:`read_text` (or :func:`read_lines` and
:func:`read_delimited`, built on it), so missing files, folders, byte-order marks, bytes that
are not UTF-8 and NUL characters are handled the same way everywhere.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, Literal

from textenvs.data.records import DataFormatError

FIELD_SIZE_LIMIT = 2**31 - 1
"""The longest CSV/TSV field read: a long document is legitimate, and the csv module's
default (131,072 characters) would reject it. Fits a C long on every platform."""

Quoting = Literal[0, 1, 2, 3]


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file, without its byte-order mark if it has one.

    Line ends are left as they are (CRLF stays CRLF), for the csv module.

    Raises:
        DataFormatError: the path is missing, a folder or unreadable; the bytes are not UTF-8;
            the text holds a NUL character (never legitimate text; often a UTF-16 file).
    """
    path = Path(path)
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory, expected a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: no such file") from None
    except OSError as error:
        raise DataFormatError(f"{path}: cannot read ({error.strerror or error})") from None
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = start + error.start
        line = data.count(b"\n", 0, offset) + 1
        raise DataFormatError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset}); "
            "re-save it as UTF-8"
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise DataFormatError(
            f"{path}:{line}: NUL character in the text (a binary or UTF-16 file?); "
            "re-save it as UTF-8 text"
        )
    return text


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file, split on line feeds only (CRLF also ends a line).

    Unlike ``str.splitlines``, characters such as U+2028, U+2029 or U+0085 stay inside their
    line: they are legitimate inside a JSON string or a sentence.

    Raises:
        DataFormatError: see :func:`read_text`.
    """
    lines = read_text(path).split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_delimited(
    path: str | Path,
    *,
    delimiter: str,
    fieldnames: Sequence[str] | None = None,
    quoting: Quoting = csv.QUOTE_MINIMAL,
    columns: Sequence[str] = (),
) -> list[tuple[str, dict[str, str]]]:
    """The rows of a CSV/TSV file as ``("path:line", {column: value})``, blank rows skipped.

    A row shorter than the header lacks the missing columns' keys. Quotes are read strictly:
    a quote left open would otherwise swallow the rest of the file into one field.

    Args:
        path: the file.
        delimiter: the field delimiter.
        fieldnames: column names for a file without a header row; by default the first row.
        quoting: the csv module's quoting mode.
        columns: the columns the caller reads; each must be in the header, once.

    Raises:
        DataFormatError: see :func:`read_text`; a missing or repeated column, a row with more
            fields than the header (an unquoted delimiter?), a malformed row.
    """
    path = Path(path)
    names = None
    if fieldnames is not None:
        names = list(check_names(fieldnames, "fieldnames", str(path)))
    rows = _csv_rows(path, delimiter, quoting)
    try:
        header = names if names is not None else next((fields for _, fields in rows), [])
        for column in columns:
            if column not in header:
                raise DataFormatError(f"{path}: no column {column!r} (columns: {header})")
            if header.count(column) > 1:
                raise DataFormatError(f"{path}:1: column {column!r} appears twice in {header}")
        table = []
        for where, fields in rows:
            if len(fields) > len(header) and any(f.strip() for f in fields[len(header) :]):
                raise DataFormatError(
                    f"{where}: {len(fields)} fields but the header has {len(header)} "
                    f"(an unquoted {delimiter!r} in a field?)"
                )
            table.append((where, dict(zip(header, fields))))
        return table
    finally:
        rows.close()  # restores the csv field size limit even when a check fails


def read_header(
    path: str | Path, *, delimiter: str, quoting: Quoting = csv.QUOTE_MINIMAL
) -> list[str]:
    """The first row of a CSV/TSV file (its column names); see :func:`read_delimited`."""
    rows = _csv_rows(Path(path), delimiter, quoting)
    try:
        return next(rows, ("", []))[1]
    finally:
        rows.close()  # restores the csv field size limit now


def _csv_rows(
    path: Path, delimiter: str, quoting: Quoting = csv.QUOTE_MINIMAL
) -> Generator[tuple[str, list[str]], None, None]:
    """``("path:line", fields)`` for each non-blank row; the line is where the row starts."""
    text = read_text(path)
    previous = csv.field_size_limit(FIELD_SIZE_LIMIT)
    try:
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting, strict=True
        )
        while True:
            line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise DataFormatError(f"{path}:{line}: malformed row ({error})") from None
            if fields:
                yield f"{path}:{line}", fields
    finally:
        csv.field_size_limit(previous)


def check_text(value: str, where: str, what: str = "text") -> str:
    """``value``, or a DataFormatError if it holds a NUL character (never legitimate text)."""
    if "\x00" in value:
        raise DataFormatError(f"{where}: NUL character in {what} {value[:40]!r}")
    return value


def check_names(names: Any, what: str, where: str | None = None) -> tuple[str, ...]:
    """User-given names (labels, tags, entity types, columns) as a tuple, each once.

    Args:
        names: the names.
        what: the argument that gave them, e.g. ``"labels"``.
        where: the file (or other source) they are used for, to name in errors.

    Raises:
        DataFormatError: a single string (which would be read character by character), a
            name that is not a string, a name given twice.
    """
    prefix = f"{where}: " if where else ""
    if isinstance(names, (str, bytes)):
        raise DataFormatError(f"{prefix}{what} must be a list of names, not the string {names!r}")
    try:
        values = tuple(names)
    except TypeError:
        raise DataFormatError(f"{prefix}{what} must be a list of names, got {names!r}") from None
    seen: set[str] = set()
    for name in values:
        if not isinstance(name, str):
            raise DataFormatError(f"{prefix}{what}: {name!r} is not a string")
        if name in seen:
            raise DataFormatError(f"{prefix}duplicate {name!r} in {what} {list(values)}")
        seen.add(name)
    return values
