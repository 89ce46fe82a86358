"""Loaders of prompt/reference pairs, with clear errors on malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textenvs.data.generation_loaders import (
    load_aligned_lines,
    load_pairs_delimited,
    load_pairs_jsonl,
    pairs_from_hf_dataset,
)
from textenvs.data.records import DataFormatError, GenerationExample

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_with_sentence_lists_and_several_references(tmp_path: Path) -> None:
    row = {"source": ["First one.", "Second one."], "target": ["a", "b"]}
    path = write(tmp_path, "a.jsonl", json.dumps(row) + "\n")
    (example,) = load_pairs_jsonl(path, reference_key="target")
    assert example == GenerationExample(
        "First one. Second one.", ("a", "b"), ("First one.", "Second one.")
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"source": "x", "reference": ""}', r"b\.jsonl:1: empty reference"),
        ('{"source": " ", "reference": "y"}', r"b\.jsonl:1: empty source"),
        ('{"source": "x"}', r"b\.jsonl:1: no key 'reference'"),
        ('{"source": "x", "reference": []}', r"b\.jsonl:1: empty reference"),
    ],
)
def test_malformed_jsonl(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        load_pairs_jsonl(write(tmp_path, "b.jsonl", line + "\n"))


def test_delimited(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", 'document,summary\n"A long, long story.",Short\n')
    loaded = load_pairs_delimited(path, source_column="document", reference_column="summary")
    assert loaded == [GenerationExample("A long, long story.", ("Short",))]
    with pytest.raises(DataFormatError, match=r"c\.csv: no column 'source'"):
        load_pairs_delimited(path)


def test_aligned_lines(tmp_path: Path) -> None:
    sources = write(tmp_path, "in.txt", "one story\ntwo story\n")
    references = write(tmp_path, "ref.txt", "one\ntwo\n")
    assert [e.references for e in load_aligned_lines(sources, references)] == [("one",), ("two",)]
    with pytest.raises(DataFormatError, match=r"has 2 lines but .*short\.txt has 1"):
        load_aligned_lines(sources, write(tmp_path, "short.txt", "one\n"))
    with pytest.raises(DataFormatError, match=r"gap\.txt:2: empty reference"):
        load_aligned_lines(sources, write(tmp_path, "gap.txt", "one\n \n"))


def test_hf_dataset() -> None:
    datasets = pytest.importorskip("datasets")
    dataset = datasets.Dataset.from_dict({"document": ["A story."], "summary": ["Story"]})
    assert pairs_from_hf_dataset(dataset, source_column="document", reference_column="summary") == [
        GenerationExample("A story.", ("Story",))
    ]
    with pytest.raises(DataFormatError, match="no column 'source'"):
        pairs_from_hf_dataset(dataset)


@pytest.mark.skipif(not (SHARED / "gigaword").is_dir(), reason="needs ../shared/data")
def test_real_files() -> None:
    gigaword = load_aligned_lines(
        SHARED / "gigaword" / "input.txt", SHARED / "gigaword" / "task1_ref0.txt"
    )
    assert len(gigaword) == 1951
    scitldr = load_pairs_jsonl(SHARED / "scitldr" / "dev.jsonl", reference_key="target")
    assert all(e.sentences for e in scitldr) and max(len(e.references) for e in scitldr) > 1
