"""Unusual and bad input files: each loads correctly or fails in one line naming file and line."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import textenvs  # noqa: F401  (registers the envs)
from textenvs.data import (
    DataFormatError,
    LabeledText,
    TaggedSentence,
    load_conll,
    load_delimited,
    load_jsonl,
    load_text_jsonl,
)
from textenvs.data.folders import load_split_folder
from textenvs.data.generation_loaders import (
    load_aligned_lines,
    load_pairs_delimited,
    load_pairs_jsonl,
)
from textenvs.envs.datasets import resolve_split

BOM = "\ufeff".encode()


def aligned(path: Path, **kwargs: Any) -> Any:
    """Aligned line files, with ``path`` as the sources and a good references file."""
    references = path.with_name("references.txt")
    references.write_text("one\ntwo\n", encoding="utf-8")
    return load_aligned_lines(path, references, **kwargs)


LOADERS: dict[str, Callable[..., Any]] = {
    "conll": load_conll,
    "jsonl": load_jsonl,
    "csv": load_delimited,
    "text_jsonl": load_text_jsonl,
    "pairs_jsonl": load_pairs_jsonl,
    "pairs_csv": load_pairs_delimited,
    "aligned": aligned,
}

TAGS = ["O", "B-PER", "I-PER"]


def jsonl(*rows: object) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


# (id, loader, file name, file bytes, loader kwargs, message regex after "<file>:")
BAD_INPUTS: list[tuple[str, str, str, bytes, dict[str, Any], str]] = [
    # 3. not UTF-8
    (
        "latin1-csv",
        "csv",
        "a.csv",
        "text,label\ncafé,pos\n".encode("latin-1"),
        {},
        r"2: not UTF-8 text \(byte 0xe9 at offset 14\); re-save it as UTF-8",
    ),
    ("latin1-conll", "conll", "a.conll", "a O\n\ncafé O\n".encode("latin-1"), {}, r"3: not UTF-8"),
    (
        "latin1-jsonl",
        "text_jsonl",
        "a.jsonl",
        '{"text": "café", "label": "x"}\n'.encode("latin-1"),
        {},
        r"1: not UTF-8",
    ),
    ("utf16-aligned", "aligned", "a.txt", "one\ntwo\n".encode("utf-16"), {}, r"1: not UTF-8"),
    # 5. NUL characters, raw or escaped in JSON
    ("nul-conll", "conll", "a.conll", b"a O\nb\x00c O\n", {}, r"2: NUL character"),
    ("nul-csv", "csv", "a.csv", b"text,label\nok,a\nb\x00c,a\n", {}, r"3: NUL character"),
    ("nul-aligned", "aligned", "a.txt", b"one\nt\x00wo\n", {}, r"2: NUL character"),
    (
        "nul-jsonl-token",
        "jsonl",
        "a.jsonl",
        jsonl({"tokens": ["a"], "tags": ["O"]}, {"tokens": ["b\x00"], "tags": ["O"]}),
        {},
        r"2: NUL character in a word of 'tokens'",
    ),
    (
        "nul-jsonl-tag",
        "jsonl",
        "a.jsonl",
        jsonl({"tokens": ["a"], "tags": ["B-PER\x00"]}),
        {},
        r"1: NUL character in a tag",
    ),
    (
        "nul-text-jsonl",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": "a\x00b", "label": "x"}),
        {},
        r"1: NUL character in text",
    ),
    (
        "nul-text-label",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": "ab", "label": "x\x00"}),
        {},
        r"1: NUL character in label",
    ),
    (
        "nul-pairs-source",
        "pairs_jsonl",
        "a.jsonl",
        jsonl({"source": ["ok.", "b\x00"], "reference": "r"}),
        {},
        r"1: NUL character in source",
    ),
    (
        "nul-pairs-reference",
        "pairs_jsonl",
        "a.jsonl",
        jsonl({"source": "s", "reference": ["r", "\x00"]}),
        {},
        r"1: NUL character in reference",
    ),
    # 6. numbers given as strings, and other values of the wrong type
    (
        "string-tag-id",
        "jsonl",
        "a.jsonl",
        jsonl({"tokens": ["a", "b"], "tags": [0, "1"]}),
        {"tag_names": TAGS},
        r"1: tag id '1' in 'tags' is a string; give tag ids as numbers",
    ),
    (
        "float-tag-id",
        "jsonl",
        "a.jsonl",
        jsonl({"tokens": ["a"], "tags": [1.0]}),
        {"tag_names": TAGS},
        r"1: tag 1.0 in 'tags' is not one of 0..2",
    ),
    (
        "list-label",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": "t", "label": ["x"]}),
        {},
        r"1: label must be a string or an integer, got \['x'\]",
    ),
    (
        "float-label",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": "t", "label": 1.5}),
        {},
        r"1: label must be a string or an integer, got 1.5",
    ),
    (
        "number-text",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": 5, "label": "x"}),
        {},
        r"1: text must be a string, got 5",
    ),
    (
        "number-sentences",
        "pairs_jsonl",
        "a.jsonl",
        jsonl({"source": [1, 2], "reference": "r"}),
        {},
        r"1: source must be a string or a list of strings, got 1",
    ),
    (
        "dict-reference",
        "pairs_jsonl",
        "a.jsonl",
        jsonl({"source": "s", "reference": {"a": 1}}),
        {},
        r"1: reference must be a string or a list of strings",
    ),
    # 7. JSON booleans where integers are expected
    (
        "bool-tag-id",
        "jsonl",
        "a.jsonl",
        jsonl({"tokens": ["a", "b"], "tags": [0, True]}),
        {"tag_names": TAGS},
        r"1: tag True in 'tags' is not one of 0..2",
    ),
    (
        "bool-label",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": "t", "label": 1}, {"text": "t", "label": True}),
        {"label_map": {"0": "neg", "1": "pos"}},
        r"2: label must be a string or an integer, got True",
    ),
    # 8. names given twice, or as one string read character by character
    (
        "duplicate-tag-names",
        "jsonl",
        "a.jsonl",
        jsonl({"tokens": ["a"], "tags": [0]}),
        {"tag_names": ["O", "B-PER", "O"]},
        r" duplicate 'O' in tag_names \['O', 'B-PER', 'O'\]",
    ),
    (
        "duplicate-labels",
        "csv",
        "a.csv",
        b"text,label\nhi,pos\n",
        {"labels": ["pos", "neg", "pos"]},
        r" duplicate 'pos' in labels",
    ),
    (
        "duplicate-entity-types",
        "conll",
        "a.conll",
        b"a B-PER\n",
        {"entity_types": ["PER", "LOC", "PER"]},
        r" duplicate 'PER' in entity_types",
    ),
    (
        "string-labels",
        "text_jsonl",
        "a.jsonl",
        jsonl({"text": "t", "label": "pos"}),
        {"labels": "pos"},
        r" labels must be a list of names, not the string 'pos'",
    ),
    (
        "duplicate-fieldnames",
        "csv",
        "a.csv",
        b"1,hi\n",
        {"fieldnames": ["label", "label"]},
        r" duplicate 'label' in fieldnames",
    ),
    (
        "duplicate-header-column",
        "csv",
        "a.csv",
        b"text,label,text\nhi,pos,ho\n",
        {},
        r"1: column 'text' appears twice",
    ),
    # malformed CSV rows that would otherwise load as something else
    (
        "unquoted-comma",
        "csv",
        "a.csv",
        b"text,label\nhi,pos\nyes, really,pos\n",
        {},
        r"3: 3 fields but the header has 2 \(an unquoted ',' in a field\?\)",
    ),
    (
        "open-quote",
        "pairs_csv",
        "a.csv",
        b'source,reference\ns,r\n"open,r\ns,r\n',
        {},
        r"3: malformed row \(unexpected end of data\)",
    ),
]


@pytest.mark.parametrize(
    ("loader", "name", "content", "kwargs", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUTS],
)
def test_bad_input_fails_in_one_line_naming_file_and_line(
    tmp_path: Path, loader: str, name: str, content: bytes, kwargs: dict[str, Any], message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFormatError) as caught:
        LOADERS[loader](path, **kwargs)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:"), text
    assert caught.match(message)


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.mkdir(), "is a directory, expected a file"),
        (lambda path: None, "no such file"),
    ],
    ids=["directory", "missing"],
)
def test_directory_or_missing_file_fails_in_one_line(
    tmp_path: Path, loader: str, make: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "data.x"
    make(path)
    with pytest.raises(DataFormatError) as caught:
        LOADERS[loader](path)
    assert str(caught.value) == f"{path}: {message}"


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x1c"])
def test_jsonl_keeps_unicode_line_separators_inside_strings(tmp_path: Path, separator: str) -> None:
    path = tmp_path / "a.jsonl"
    word = f"a{separator}b"
    rows = [{"tokens": [word, "c"], "tags": ["B-PER", "O"], "text": word, "label": "x"}] * 2
    path.write_text(
        "\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8"
    )
    assert load_jsonl(path)[0].words == (word, "c")
    assert [t.text for t in load_text_jsonl(path)] == [word, word]
    path.write_text(
        json.dumps({"source": word, "reference": word}, ensure_ascii=False) + "\r\n",
        encoding="utf-8",
    )
    (example,) = load_pairs_jsonl(path)
    assert example.prompt == word and example.references == (word,)
    sources = tmp_path / "sources.txt"
    sources.write_text(f"{word}\n{word}\n", encoding="utf-8")
    references = tmp_path / "references.txt"
    references.write_text("one\r\ntwo\r\n", encoding="utf-8")
    assert [e.prompt for e in load_aligned_lines(sources, references)] == [word, word]


@pytest.mark.parametrize(
    ("loader", "name", "text"),
    [
        ("conll", "a.conll", "-DOCSTART- -X- O O\n\nEU NNP I-NP B-ORG\nsays VBZ I-VP O\n"),
        ("jsonl", "a.jsonl", '{"tokens": ["EU"], "tags": ["B-ORG"]}\n'),
        ("csv", "a.csv", "text,label\nhi there,pos\n"),
        ("csv", "a.tsv", "text\tlabel\nhi there\tpos\n"),
        ("text_jsonl", "a.jsonl", '{"text": "hi", "label": "pos"}\n'),
        ("pairs_jsonl", "a.jsonl", '{"source": "s", "reference": "r"}\n'),
        ("pairs_csv", "a.csv", "source,reference\ns,r\n"),
    ],
)
def test_byte_order_mark_is_ignored(tmp_path: Path, loader: str, name: str, text: str) -> None:
    plain, marked = tmp_path / "plain" / name, tmp_path / "marked" / name
    plain.parent.mkdir()
    marked.parent.mkdir()
    plain.write_bytes(text.encode())
    marked.write_bytes(BOM + text.replace("\n", "\r\n").encode())
    assert LOADERS[loader](marked) == LOADERS[loader](plain)


def test_byte_order_mark_in_a_split_folder(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_bytes(BOM + b"sentence,label\nhi,pos\n")
    assert load_split_folder(tmp_path, "classification") == {"train": [LabeledText("hi", "pos")]}


def test_long_csv_and_tsv_fields_load(tmp_path: Path) -> None:
    document = "word " * 60_000  # 300,000 characters, over csv's default field size limit
    limit = csv.field_size_limit()
    csv_path, tsv_path = tmp_path / "long.csv", tmp_path / "long.tsv"
    csv_path.write_text(f'source,reference\n"{document}",short\n', encoding="utf-8")
    tsv_path.write_text(f"text\tlabel\n{document}\tpos\n", encoding="utf-8")
    assert load_pairs_delimited(csv_path)[0].prompt == document.strip()
    assert load_delimited(tsv_path)[0].text == document.strip()
    assert csv.field_size_limit() == limit  # lifted for the read only


def test_invalid_utf8_offset_counts_the_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "a.conll"
    path.write_bytes(BOM + b"a O\n\xff O\n")
    with pytest.raises(
        DataFormatError, match=r"a\.conll:2: not UTF-8 text \(byte 0xff at offset 7\)"
    ):
        load_conll(path)


SENTENCES = [
    TaggedSentence(("Ann", "ran"), ("B-PER", "O")),
    TaggedSentence(("in", "Oslo"), ("O", "B-LOC")),
    TaggedSentence(("IBM", "won"), ("B-ORG", "O")),
]


@pytest.mark.parametrize("as_mapping", [True, False], ids=["split-mapping", "records"])
def test_a_generator_split_gives_every_record_to_the_env(as_mapping: bool) -> None:
    records = (s for s in SENTENCES)
    dataset = {"train": records, "test": (s for s in SENTENCES[:1])} if as_mapping else records
    env = gym.make("TextNER-v0", dataset=dataset)
    corpus = env.unwrapped.corpus  # type: ignore[attr-defined]
    assert corpus.sentences == tuple(SENTENCES)
    assert set(corpus.tag_names) == {"O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"}
    assert {w for s in SENTENCES for w in s.words} <= set(corpus.vocab.words)
    for index in range(len(SENTENCES)):
        env.reset(options={"index": index})
    env.close()


def test_resolve_split_reads_each_split_once() -> None:
    resolved = resolve_split(
        {"train": iter(SENTENCES), "validation": iter(SENTENCES[:2])},
        "validation",
        TaggedSentence,
        {},
    )
    assert resolved.records == SENTENCES[:2]
    assert resolved.vocab_source == SENTENCES
    assert resolved.all_records == SENTENCES + SENTENCES[:2]
    with pytest.raises(TypeError, match=r"dataset\['train'\] must be a sequence of"):
        resolve_split({"train": 5}, "train", TaggedSentence, {})


@pytest.mark.parametrize(
    ("env_id", "kwargs", "message"),
    [
        ("TextNER-v0", {"tag_names": ["O", "B-PER", "I-PER", "O"]}, "duplicate 'O' in tag_names"),
        ("TextNER-v0", {"tag_names": "OB"}, "tag_names must be a list of names, not the string"),
        (
            "TextClassification-v0",
            {"label_names": ["negative", "positive", "negative"]},
            "duplicate 'negative' in label_names",
        ),
        ("TextClassification-v0", {"label_names": ["negative", 1]}, "label_names: 1 is not a"),
    ],
)
def test_env_tag_and_label_names_are_checked(
    env_id: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(DataFormatError, match=message):
        gym.make(env_id, **kwargs)
