"""Loaders of labeled texts: CSV/TSV, JSONL and Hugging Face datasets, with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textenvs.data import (
    DataFormatError,
    LabeledText,
    load_delimited,
    load_text_jsonl,
    text_from_hf_dataset,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tsv_with_header_and_label_map(tmp_path: Path) -> None:
    path = write(tmp_path, "a.tsv", 'sentence\tlabel\nit " works\t1\nnope\t0\n')
    loaded = load_delimited(
        path, text_column="sentence", label_map={"0": "negative", "1": "positive"}
    )
    assert loaded == [LabeledText('it " works', "positive"), LabeledText("nope", "negative")]


def test_csv_without_header_joining_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path, "b.csv", '"2","Late goal","Home side wins, 2-1."\n"1","Talks","Go on."\n'
    )
    loaded = load_delimited(
        path,
        fieldnames=["label", "title", "body"],
        text_column=["title", "body"],
        label_map={"1": "world", "2": "sports"},
    )
    assert loaded == [
        LabeledText("Late goal Home side wins, 2-1.", "sports"),
        LabeledText("Talks Go on.", "world"),
    ]


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("text,label\nhi,pos\n", {"text_column": "sentence"}, r"c\.csv: no column 'sentence'"),
        ("text,label\nhi,pos\n ,neg\n", {}, r"c\.csv:3: empty text"),
        ("text,label\nhi,pos\nho,meh\n", {"labels": ["pos", "neg"]}, r"c\.csv:3: label 'meh'"),
        ("text,label\nhi,2\n", {"label_map": {"0": "a"}}, r"c\.csv:2: label '2' is not in"),
        ("text,label\n", {}, r"c\.csv: no texts found"),
        ("text,label\nhi,\n", {}, r"c\.csv:2: empty label"),
    ],
)
def test_malformed_delimited(tmp_path: Path, text: str, kwargs: dict, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        load_delimited(write(tmp_path, "c.csv", text), **kwargs)


def test_jsonl(tmp_path: Path) -> None:
    rows = [{"text": "good", "label": "positive"}, {"text": "bad", "label": "negative"}]
    path = write(tmp_path, "d.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    assert load_text_jsonl(path, labels=["negative", "positive"])[1] == LabeledText(
        "bad", "negative"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "", "label": "a"}', r"e\.jsonl:2: empty text"),
        ('{"body": "x", "label": "a"}', r"e\.jsonl:2: no key 'text'"),
        ('{"text": "x", "label": "c"}', r"e\.jsonl:2: label 'c' is outside the label set"),
        ('{"text": "x"', r"e\.jsonl:2: invalid JSON"),
    ],
)
def test_malformed_jsonl(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "e.jsonl", '{"text": "ok", "label": "a"}\n' + line + "\n")
    with pytest.raises(DataFormatError, match=message):
        load_text_jsonl(path, labels=["a", "b"])


def test_hf_dataset_with_class_labels() -> None:
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])}
    )
    dataset = datasets.Dataset.from_dict({"text": ["meh", "yay"], "label": [0, 1]}, features)
    assert text_from_hf_dataset(dataset) == [LabeledText("meh", "neg"), LabeledText("yay", "pos")]
    with pytest.raises(DataFormatError, match="no column 'sentence'"):
        text_from_hf_dataset(dataset, text_column="sentence")


@pytest.mark.skipif(not (SHARED / "sst2").is_dir(), reason="needs ../shared/data")
def test_real_files() -> None:
    sst2 = load_delimited(
        SHARED / "sst2" / "dev.tsv",
        text_column="sentence",
        label_map={"0": "negative", "1": "positive"},
    )
    assert len(sst2) == 872
    ag_news = load_delimited(
        SHARED / "ag_news" / "test.csv",
        fieldnames=["label", "title", "description"],
        text_column=["title", "description"],
        label_map={"1": "world", "2": "sports", "3": "business", "4": "science"},
    )
    assert len(ag_news) == 7600
    assert {t.label for t in ag_news} == {"world", "sports", "business", "science"}
