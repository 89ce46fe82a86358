"""Datasets: record types, loaders, IOB tag handling and the built-in corpora."""

from textenvs.data.loaders import (
    SPLITS,
    from_hf_dataset,
    load_builtin_ner,
    load_conll,
    load_jsonl,
)
from textenvs.data.records import DataFormatError, LabeledText, TaggedSentence
from textenvs.data.tags import TagError, iob1_to_iob2, tag_names_for
from textenvs.data.text_loaders import (
    load_builtin_classification,
    load_delimited,
    load_text_jsonl,
    text_from_hf_dataset,
)
from textenvs.data.tokenize import word_tokenize

__all__ = [
    "SPLITS",
    "DataFormatError",
    "LabeledText",
    "TagError",
    "TaggedSentence",
    "from_hf_dataset",
    "iob1_to_iob2",
    "load_builtin_classification",
    "load_builtin_ner",
    "load_conll",
    "load_delimited",
    "load_jsonl",
    "load_text_jsonl",
    "tag_names_for",
    "text_from_hf_dataset",
    "word_tokenize",
]
