"""The built-in NER corpus: shipped files match their generator; it is varied, ambiguous, fair."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

from textenvs.data import SPLITS, load_builtin_ner
from textenvs.data.builtin import make_ner_corpus
from textenvs.metrics import entity_spans

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "textenvs" / "data" / "builtin" / "ner"


def test_shipped_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    make_ner_corpus.main(["--out", str(tmp_path)])
    for split in SPLITS:
        written = (tmp_path / f"{split}.conll").read_bytes()
        assert written == (SHIPPED / f"{split}.conll").read_bytes(), split


def test_sizes_types_and_lengths() -> None:
    splits = {split: load_builtin_ner(split) for split in SPLITS}
    assert [len(splits[s]) for s in SPLITS] == [1600, 300, 300]
    for split, sentences in splits.items():
        types = {t for s in sentences for t, _, _ in entity_spans(s.tags)}
        assert types == {"PER", "ORG", "LOC", "MISC"}, split
        lengths = [len(s) for s in sentences]
        assert min(lengths) <= 4 and max(lengths) >= 30, split
        no_entities = sum(not entity_spans(s.tags) for s in sentences)
        assert 0.03 < no_entities / len(sentences) < 0.3, split
    assert max(len(s) for s in splits["train"]) <= 42


def test_ambiguous_words_take_several_roles_in_every_split() -> None:
    def roles(split: str) -> dict[str, set[str]]:
        seen: dict[str, set[str]] = defaultdict(set)
        for sentence in load_builtin_ner(split):
            for entity_type, start, end in entity_spans(sentence.tags):
                for word in sentence.words[start : end + 1]:
                    seen[word].add(entity_type)
        return seen

    per_split = [roles(split) for split in SPLITS]
    ambiguous = [
        word
        for word, types in per_split[0].items()
        if "PER" in types
        and types & {"ORG", "LOC"}
        and all(
            "PER" in r.get(word, ()) and r.get(word, set()) & {"ORG", "LOC"} for r in per_split[1:]
        )
    ]
    assert len(ambiguous) >= 25, ambiguous


def test_evaluation_splits_hold_names_unseen_in_training() -> None:
    train_words = {w for s in load_builtin_ner("train") for w in s.words}
    for split in ("validation", "test"):
        entity_words = [
            word
            for s in load_builtin_ner(split)
            for _, start, end in entity_spans(s.tags)
            for word in s.words[start : end + 1]
        ]
        unseen = sum(word not in train_words for word in entity_words) / len(entity_words)
        assert 0.15 < unseen < 0.5, split


def load_baselines():
    path = ROOT / "benchmarks" / "ner_corpus_baselines.py"
    spec = importlib.util.spec_from_file_location("ner_corpus_baselines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_learnable_but_not_by_memorising() -> None:
    baselines = load_baselines()
    result = baselines.evaluate(load_builtin_ner("train"), load_builtin_ner("test"), epochs=5)
    memorizer, perceptron = result["memorizer"]["f1"], result["perceptron"]["f1"]
    assert memorizer < 0.7
    assert perceptron > memorizer + 0.2


def test_classification_and_summarization_files_match_their_generators(tmp_path: Path) -> None:
    from textenvs.data.builtin import make_classification_corpora, make_summarization_corpus

    make_classification_corpora.main(["--out", str(tmp_path)])
    make_summarization_corpus.main(["--out", str(tmp_path / "summarization")])
    for folder in ("sentiment", "topic", "summarization"):
        for split in SPLITS:
            written = (tmp_path / folder / f"{split}.jsonl").read_bytes()
            assert written == (SHIPPED.parent / folder / f"{split}.jsonl").read_bytes(), folder


def test_classification_corpora_are_balanced_and_disjoint() -> None:
    from textenvs.data import load_builtin_classification
    from textenvs.data.text_loaders import BUILTIN_CLASSIFICATION

    for name, labels in BUILTIN_CLASSIFICATION.items():
        splits = {split: load_builtin_classification(name, split) for split in SPLITS}
        assert [len(splits[s]) for s in SPLITS] == [1200, 200, 200]
        for texts in splits.values():
            counts = [sum(t.label == label for t in texts) for label in labels]
            assert counts == [len(texts) // len(labels)] * len(labels), name
        train = {t.text for t in splits["train"]}
        assert not train & {t.text for t in splits["test"] + splits["validation"]}


def test_summarization_corpus_shape() -> None:
    from textenvs.data.generation_loaders import load_builtin_summarization
    from textenvs.envs.extractive import split_sentences

    splits = {split: load_builtin_summarization(split) for split in SPLITS}
    assert [len(splits[s]) for s in SPLITS] == [500, 100, 100]
    for examples in splits.values():
        assert all(2 <= len(split_sentences(e.prompt)) <= 6 for e in examples)
        assert all(len(e.references) == 1 and e.references[0] not in e.prompt for e in examples)
