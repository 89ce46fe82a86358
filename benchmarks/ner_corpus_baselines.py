"""How hard is an NER corpus? A memorising baseline against a small trained tagger.

* ``memorizer``: each word gets its most frequent training tag (unknown words: ``O``);
  it knows no context, so ambiguous words and unseen names defeat it.
* ``perceptron``: a greedy averaged perceptron over word, shape, affix and context features
  with the previous tag, trained for a few epochs on the training split: a floor for what
  a trained contextual model reaches (a fine-tuned transformer should do better).

Scores are seqeval-equal corpus entity F1 on the test split. By default on the built-in
corpus; ``--data DIR`` runs on CoNLL-2003 (``eng.train``/``eng.testb``) as a calibration::

    python benchmarks/ner_corpus_baselines.py
    python benchmarks/ner_corpus_baselines.py --data ../shared/data/conll2003
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from textenvs.data import TaggedSentence, load_builtin_ner, load_conll
from textenvs.metrics import corpus_span_scores


def majority_tagger(train: Sequence[TaggedSentence]) -> dict[str, str]:
    """The most frequent tag of each training word."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for sentence in train:
        for word, tag in zip(sentence.words, sentence.tags):
            counts[word][tag] += 1
    return {word: tags.most_common(1)[0][0] for word, tags in counts.items()}


def majority_predict(table: dict[str, str], sentences: Sequence[TaggedSentence]) -> list[list[str]]:
    return [[table.get(word, "O") for word in s.words] for s in sentences]


def shape(word: str) -> str:
    """A coarse word shape: ``Xx``, ``x``, ``X``, ``d``, ``.`` runs collapsed."""
    out = []
    for char in word:
        kind = "X" if char.isupper() else "x" if char.islower() else "d" if char.isdigit() else "."
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


def features(words: Sequence[str], i: int, prev_tag: str) -> list[str]:
    word = words[i]
    lower = word.lower()
    at = lambda j: words[j].lower() if 0 <= j < len(words) else "<s>"  # noqa: E731
    return [
        "bias",
        f"w={word}",
        f"lw={lower}",
        f"sh={shape(word)}",
        f"p3={lower[:3]}",
        f"s3={lower[-3:]}",
        f"w-1={at(i - 1)}",
        f"w+1={at(i + 1)}",
        f"w-2={at(i - 2)}",
        f"w+2={at(i + 2)}",
        f"t-1={prev_tag}",
        f"t-1,sh={prev_tag},{shape(word)}",
        f"first={i == 0},sh={shape(word)}",
        f"sh+1={shape(words[i + 1]) if i + 1 < len(words) else '</s>'}",
    ]


class AveragedPerceptron:
    """A greedy left-to-right tagger with averaged perceptron weights."""

    def __init__(self, tags: Sequence[str]) -> None:
        self.tags = list(tags)
        self.weights: dict[str, dict[str, float]] = defaultdict(dict)
        self._totals: dict[tuple[str, str], float] = defaultdict(float)
        self._stamps: dict[tuple[str, str], int] = defaultdict(int)
        self._updates = 0

    def _best(self, feats: list[str]) -> str:
        scores: dict[str, float] = defaultdict(float)
        for feat in feats:
            for tag, weight in self.weights.get(feat, {}).items():
                scores[tag] += weight
        return max(self.tags, key=lambda tag: (scores[tag], tag == "O"))

    def _update(self, truth: str, guess: str, feats: list[str]) -> None:
        self._updates += 1
        for feat in feats:
            for tag, delta in ((truth, 1.0), (guess, -1.0)):
                key = (feat, tag)
                weight = self.weights[feat].get(tag, 0.0)
                self._totals[key] += (self._updates - self._stamps[key]) * weight
                self._stamps[key] = self._updates
                self.weights[feat][tag] = weight + delta

    def train(self, sentences: Sequence[TaggedSentence], epochs: int = 5, seed: int = 0) -> None:
        """Train greedily, sentence by sentence, then average the weights over all updates."""
        import random

        order = list(sentences)
        shuffle = random.Random(seed).shuffle
        for _ in range(epochs):
            shuffle(order)
            for sentence in order:
                prev = "<s>"
                for i, truth in enumerate(sentence.tags):
                    feats = features(sentence.words, i, prev)
                    guess = self._best(feats)
                    if guess != truth:
                        self._update(truth, guess, feats)
                    prev = guess
        for feat, tags in self.weights.items():
            for tag, weight in tags.items():
                key = (feat, tag)
                total = self._totals[key] + (self._updates - self._stamps[key]) * weight
                tags[tag] = total / max(self._updates, 1)

    def predict(self, sentences: Sequence[TaggedSentence]) -> list[list[str]]:
        """Tag each sentence left to right with the averaged weights."""
        predictions = []
        for sentence in sentences:
            prev, tags = "<s>", []
            for i in range(len(sentence.words)):
                prev = self._best(features(sentence.words, i, prev))
                tags.append(prev)
            predictions.append(tags)
        return predictions


def evaluate(train: Sequence[TaggedSentence], test: Sequence[TaggedSentence], epochs: int) -> dict:
    """Corpus test scores of both baselines, and the perceptron's training time."""
    gold = [list(s.tags) for s in test]
    memorizer = corpus_span_scores(gold, majority_predict(majority_tagger(train), test))
    start = time.perf_counter()
    tagger = AveragedPerceptron(sorted({t for s in train for t in s.tags}))
    tagger.train(train, epochs=epochs)
    perceptron = corpus_span_scores(gold, tagger.predict(test))
    return {
        "memorizer": memorizer,
        "perceptron": perceptron,
        "seconds": time.perf_counter() - start,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="a CoNLL-2003 directory (default: built-in)")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    if args.data:
        train, test = load_conll(args.data / "eng.train"), load_conll(args.data / "eng.testb")
        name = str(args.data)
    else:
        train, test = load_builtin_ner("train"), load_builtin_ner("test")
        name = "built-in NER corpus"
    result = evaluate(train, test, args.epochs)
    print(f"{name}: train {len(train)} sentences, test {len(test)}")
    print(f"{'baseline':<12} {'precision':>9} {'recall':>7} {'f1':>7}")
    for key in ("memorizer", "perceptron"):
        s = result[key]
        print(f"{key:<12} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>7.3f}")
    print(f"perceptron trained in {result['seconds']:.1f} s")
    gap = result["perceptron"]["f1"] - result["memorizer"]["f1"]
    print(
        f"test entity F1: memorizer {result['memorizer']['f1']:.3f}, "
        f"perceptron {result['perceptron']['f1']:.3f} (gap {gap:+.3f})"
    )


if __name__ == "__main__":
    main()
