"""The real classification corpora of ``../shared/data``, as env ``dataset=`` split mappings.

Benchmarks only: the package never reads ``../shared`` (a user's checkout has none).

* SST-2 (GLUE, binary sentiment): ``train.tsv`` (67,349 phrases), ``dev.tsv`` (872) as
  validation, ``test_labeled_unofficial.tsv`` (1,821 sentences) as test.
* AG News (4 topics): the folder holds the official test split (7,600) and a 10,001-row
  sample of the train side (``train_sample_10k_alps.tsv``; see its SOURCE.md), which has the
  description only. So both sides use the description only (the test's title is dropped,
  to train and test on the same kind of text), and the sample is split, deterministically
  (``numpy.random.default_rng(0)`` permutation), into 9,001 train and 1,000 validation texts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from textenvs.data import LabeledText, load_delimited

SST2_LABELS = ("negative", "positive")
AG_NEWS_LABELS = ("world", "sports", "business", "science")
AG_NEWS_VALIDATION = 1_000
_AG_TRAIN_NAMES = {
    "World": "world",
    "Sports": "sports",
    "Business": "business",
    "Sci/Tech": "science",
}


def load_sst2(folder: Path) -> dict[str, list[LabeledText]]:
    """SST-2's train / validation (GLUE dev) / test (labelled GLUE test) splits."""
    names = {"train": "train.tsv", "validation": "dev.tsv", "test": "test_labeled_unofficial.tsv"}
    labels = {"0": "negative", "1": "positive"}
    return {
        split: load_delimited(folder / name, text_column="sentence", label_map=labels)
        for split, name in names.items()
    }


def load_ag_news(folder: Path) -> dict[str, list[LabeledText]]:
    """AG News descriptions: the train sample split 9,001 / 1,000, and the official test."""
    sample = load_delimited(
        folder / "train_sample_10k_alps.tsv",
        fieldnames=["text", "label"],
        label_map=_AG_TRAIN_NAMES,
    )
    order = np.random.default_rng(0).permutation(len(sample))
    validation = set(order[:AG_NEWS_VALIDATION].tolist())
    test = load_delimited(
        folder / "test.csv",
        fieldnames=["label", "title", "description"],
        text_column="description",
        label_map={"1": "world", "2": "sports", "3": "business", "4": "science"},
    )
    return {
        "train": [t for i, t in enumerate(sample) if i not in validation],
        "validation": [t for i, t in enumerate(sample) if i in validation],
        "test": test,
    }
