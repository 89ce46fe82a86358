"""Loaders: CoNLL, JSONL and Hugging Face datasets, with clear errors on malformed input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textenvs.data import DataFormatError, TaggedSentence, from_hf_dataset, load_conll, load_jsonl

CONLL2003 = Path(__file__).resolve().parents[2] / "shared" / "data" / "conll2003"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_two_column_conll(tmp_path: Path) -> None:
    path = write(tmp_path, "a.conll", "John B-PER\nSmith I-PER\nran O\n\nHi O\n")
    assert load_conll(path) == [
        TaggedSentence(("John", "Smith", "ran"), ("B-PER", "I-PER", "O")),
        TaggedSentence(("Hi",), ("O",)),
    ]


def test_four_column_conll_skips_docstart_and_converts_iob1(tmp_path: Path) -> None:
    text = (
        "-DOCSTART- -X- O O\n\n"
        "EU NNP I-NP I-ORG\nrejects VBZ I-VP O\nGerman JJ I-NP I-MISC\n\n"
        "Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\nJohn NNP I-NP B-PER\n\n"
        "-DOCSTART- -X- O O\n\nBRUSSELS NNP I-NP I-LOC\n"
    )
    sentences = load_conll(write(tmp_path, "b.conll", text))
    assert [s.tags for s in sentences] == [
        ("B-ORG", "O", "B-MISC"),
        ("B-PER", "I-PER", "B-PER"),
        ("B-LOC",),
    ]


def test_iob1_conversion_on_request(tmp_path: Path) -> None:
    # Valid IOB2 read as IOB1 changes nothing; "iob1" forces conversion of I- starts.
    path = write(tmp_path, "c.conll", "a B-PER\nb I-PER\n\nc I-LOC\n")
    assert [s.tags for s in load_conll(path, scheme="iob1")] == [("B-PER", "I-PER"), ("B-LOC",)]


def test_iob2_scheme_rejects_iob1_with_line(tmp_path: Path) -> None:
    path = write(tmp_path, "d.conll", "a O\nb O\n\nc O\nd I-LOC\n")
    with pytest.raises(DataFormatError, match=r"d\.conll:5: 'I-LOC' does not continue"):
        load_conll(path, scheme="iob2")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a O\nb B-PER x\n", r"e\.conll:2: expected 2 columns \(word tag\) or 4"),
        ("a O\n\nb\n", r"e\.conll:3: expected 2 columns"),
        ("a x y O\nb O\n", r"e\.conll:2: expected 4 columns \(word pos chunk tag\) as on line 1"),
        ("a O\nb X-PER\n", r"e\.conll:2: tag 'X-PER' is not an IOB tag"),
        ("a O\n\nb I-\n", r"e\.conll:3: tag 'I-' has no entity type"),
        ("", r"e\.conll: no sentences found"),
        ("\n\n-DOCSTART- -X- O O\n\n", r"e\.conll: no sentences found"),
    ],
)
def test_malformed_conll_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        load_conll(write(tmp_path, "e.conll", text))


def test_tag_outside_the_given_types(tmp_path: Path) -> None:
    path = write(tmp_path, "f.conll", "a O\nb B-GENE\n")
    with pytest.raises(DataFormatError, match=r"f\.conll:2: tag 'B-GENE' is outside the scheme"):
        load_conll(path, entity_types=["PER", "LOC"])


def test_missing_file() -> None:
    with pytest.raises(DataFormatError, match="no such file"):
        load_conll("/nonexistent/x.conll")


def test_jsonl(tmp_path: Path) -> None:
    lines = [
        {"tokens": ["Ann", "left"], "tags": ["B-PER", "O"]},
        {"tokens": ["Rome"], "tags": ["I-LOC"]},
    ]
    path = write(tmp_path, "a.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n\n")
    assert [s.tags for s in load_jsonl(path)] == [("B-PER", "O"), ("B-LOC",)]


def test_jsonl_integer_tags(tmp_path: Path) -> None:
    path = write(tmp_path, "b.jsonl", json.dumps({"tokens": ["Ann"], "ner": [1]}) + "\n")
    loaded = load_jsonl(path, tags_key="ner", tag_names=["O", "B-PER", "I-PER"])
    assert loaded[0].tags == ("B-PER",)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"tokens": ["a", "b"], "tags": ["O"]}', r"g\.jsonl:2: 2 words but 1 tags"),
        ('{"tokens": ["a"]', r"g\.jsonl:2: invalid JSON"),
        ('{"words": ["a"], "tags": ["O"]}', r"g\.jsonl:2: 'tokens' must be a list of strings"),
        ('{"tokens": ["a"], "tags": ["S-PER"]}', r"g\.jsonl:2: token 0: tag 'S-PER' is not an IOB"),
        ('{"tokens": ["a"], "tags": [3]}', r"g\.jsonl:2: tag 3 in 'tags' is not tag strings"),
        ('{"tokens": [], "tags": []}', r"g\.jsonl:2: empty sentence"),
        ("[1, 2]", r"g\.jsonl:2: expected a JSON object"),
    ],
)
def test_malformed_jsonl_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "g.jsonl", '{"tokens": ["ok"], "tags": ["O"]}\n' + line + "\n")
    with pytest.raises(DataFormatError, match=message):
        load_jsonl(path)


def test_empty_jsonl(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no sentences found"):
        load_jsonl(write(tmp_path, "h.jsonl", "\n"))


def test_hf_dataset_with_class_labels() -> None:
    datasets = pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    features = datasets.Features(
        {
            "tokens": datasets.Sequence(datasets.Value("string")),
            "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names)),
        }
    )
    dataset = datasets.Dataset.from_dict(
        {"tokens": [["Ann", "Lee", "in", "Rome"], ["hi"]], "ner_tags": [[1, 2, 0, 3], [0]]},
        features=features,
    )
    assert from_hf_dataset(dataset) == [
        TaggedSentence(("Ann", "Lee", "in", "Rome"), ("B-PER", "I-PER", "O", "B-LOC")),
        TaggedSentence(("hi",), ("O",)),
    ]


def test_hf_dataset_errors() -> None:
    datasets = pytest.importorskip("datasets")
    dataset = datasets.Dataset.from_dict({"tokens": [["a", "b"]], "tags": [["O"]]})
    with pytest.raises(DataFormatError, match="no column 'ner_tags'"):
        from_hf_dataset(dataset)
    with pytest.raises(DataFormatError, match="row 0: 2 words but 1 tags"):
        from_hf_dataset(dataset, tags_column="tags")


def test_record_checks_lengths() -> None:
    with pytest.raises(DataFormatError, match="2 words but 1 tags"):
        TaggedSentence(("a", "b"), ("O",))


@pytest.mark.skipif(not CONLL2003.is_dir(), reason="needs ../shared/data/conll2003")
def test_conll2003_split_sizes() -> None:
    sizes = [len(load_conll(CONLL2003 / name)) for name in ("eng.train", "eng.testa", "eng.testb")]
    assert sizes == [14041, 3250, 3453]
    first = load_conll(CONLL2003 / "eng.testa")[0]
    assert all(not tag.startswith("I-") or i > 0 for i, tag in enumerate(first.tags))


def test_a_literal_unk_word_maps_to_the_unknown_id() -> None:
    from textenvs.data.vocab import UNK_ID, Vocabulary

    vocab = Vocabulary.from_sentences([["the", "<unk>", "cat"]])
    assert vocab.encode(["<unk>", "cat"]).tolist() == [UNK_ID, vocab.index["cat"]]


def test_split_folders_for_each_kind_of_env(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from textenvs.data.folders import load_split_folder

    (tmp_path / "train.conll").write_text("Ann B-PER\nran O\n\nBob B-PER\n", encoding="utf-8")
    (tmp_path / "dev.conll").write_text("Rome B-LOC\n", encoding="utf-8")
    splits = load_split_folder(tmp_path, "tagging")
    assert sorted(splits) == ["train", "validation"] and len(splits["train"]) == 2
    assert splits["validation"][0].tags == ("B-LOC",)
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "train.tsv").write_text("sentence\tlabel\ngood film\t1\nbad\t0\n", encoding="utf-8")
    rows = [{"text": "fine", "label": "1"}]
    (texts / "test.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    splits = load_split_folder(texts, "classification")
    assert [r.label for r in splits["train"]] == ["1", "0"] and splits["test"][0].text == "fine"
    with pytest.raises(DataFormatError, match="no training split"):
        load_split_folder(texts, "generation")
    (tmp_path / "train.conll").write_text("Ann B-PER\nran\tO\textra\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"train.conll:2"):
        load_split_folder(tmp_path, "tagging")
