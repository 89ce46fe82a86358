"""Datasets: record types, loaders, IOB tag handling and the built-in corpora."""

from textenvs.data.loaders import (
    SPLITS,
    from_hf_dataset,
    load_builtin_ner,
    load_conll,
    load_jsonl,
)
from textenvs.data.records import DataFormatError, TaggedSentence
from textenvs.data.tags import TagError, iob1_to_iob2, tag_names_for

__all__ = [
    "SPLITS",
    "DataFormatError",
    "TagError",
    "TaggedSentence",
    "from_hf_dataset",
    "iob1_to_iob2",
    "load_builtin_ner",
    "load_conll",
    "load_jsonl",
    "tag_names_for",
]
