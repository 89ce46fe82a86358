"""An exported tagger against its policy, on real sentences: agreement, F1 and speed.

Exports a trained tagging run (``textenvs export``), loads it with
``transformers.pipeline("token-classification")`` and tags the test sentences with both:
the share of words and sentences where they agree, seqeval entity F1 of each (the pipeline
takes each word's most likely tag; ``policy.predict`` also keeps the tags valid IOB2), and
sentences per second of each, measured in one run::

    python benchmarks/export_agreement.py --run runs/conll --data ../shared/data/conll2003
    python benchmarks/export_agreement.py --run runs/ner          # the built-in test split
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a textenvs train run folder")
    parser.add_argument("--data", type=Path, help="CoNLL-2003 folder (eng.testb); default built-in")
    parser.add_argument("--limit", type=int, default=1000, help="test sentences")
    args = parser.parse_args(argv)

    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2
    from transformers import pipeline

    from agents import export_run, load_policy
    from agents.training.export import pipeline_word_tags
    from textenvs.data import load_builtin_ner, load_conll

    sentences = load_conll(args.data / "eng.testb") if args.data else load_builtin_ner("test")
    sentences = list(sentences)[: args.limit]
    words = [list(s.words) for s in sentences]
    gold = [list(s.tags) for s in sentences]
    policy = load_policy(args.run / "best")
    with tempfile.TemporaryDirectory() as folder:
        model = export_run(args.run, Path(folder) / "model")
        tagger = pipeline("token-classification", model=str(model), ignore_labels=[])
        start = time.perf_counter()
        exported = [pipeline_word_tags(tagger(w, is_split_into_words=True), w) for w in words]
        pipeline_seconds = time.perf_counter() - start
    start = time.perf_counter()
    kept = policy.predict(words)
    policy_seconds = time.perf_counter() - start
    argmax = policy.predict(words, iob2=False)

    n_words = sum(len(w) for w in words)
    same_words = sum(a == b for x, y in zip(exported, kept) for a, b in zip(x, y))
    print(f"{len(words)} sentences, {n_words} words")
    print(f"pipeline = policy.predict(iob2=False): {exported == argmax}")
    print(
        f"pipeline vs policy.predict: {same_words / n_words:.4f} of words, "
        f"{sum(x == y for x, y in zip(exported, kept)) / len(words):.4f} of sentences agree"
    )
    for name, tags in (("pipeline", exported), ("policy.predict", kept)):
        print(f"entity F1, {name}: {f1_score(gold, tags, mode='strict', scheme=IOB2):.4f}")
    print(
        f"sentences/s: pipeline {len(words) / pipeline_seconds:.1f} (one at a time), "
        f"policy.predict {len(words) / policy_seconds:.1f} (batched)"
    )


if __name__ == "__main__":
    main()
