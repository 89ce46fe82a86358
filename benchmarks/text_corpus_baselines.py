"""How hard are the built-in classification and summarization corpora? Simple baselines.

* Classification (sentiment, topic): a bag-of-words logistic regression (scikit-learn) on
  the whole text, and on its first 5 words only: the gap is what reading further is worth
  in TextClassification-v0.
* Summarization: ROUGE-1/2/L F of the first sentence (lead-1), of the best single sentence
  (oracle-1, an upper bound for a one-sentence extractive summary) and of the whole source.

Test splits; ``--shared DIR`` (the ``../shared/data`` folder) adds SST-2 and AG News as a
calibration (their splits: ``benchmarks/shared_corpora.py``)::

    python benchmarks/text_corpus_baselines.py
    python benchmarks/text_corpus_baselines.py --shared ../shared/data
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shared_corpora import load_ag_news, load_sst2
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from textenvs.data import LabeledText, load_builtin_classification, word_tokenize
from textenvs.data.generation_loaders import load_builtin_summarization
from textenvs.envs.extractive import split_sentences
from textenvs.metrics import classification_scores
from textenvs.rewards import RougeReward


def bag_of_words(
    train: list[LabeledText], test: list[LabeledText], first_words: int | None = None
) -> dict[str, float]:
    """Test scores of a bag-of-words logistic regression, optionally on the first words only."""

    def cut(text: str) -> str:
        return " ".join(word_tokenize(text)[:first_words]) if first_words else text

    vectorizer = CountVectorizer(lowercase=True, ngram_range=(1, 2), min_df=1)
    features = vectorizer.fit_transform([cut(t.text) for t in train])
    model = LogisticRegression(max_iter=2000).fit(features, [t.label for t in train])
    predictions = model.predict(vectorizer.transform([cut(t.text) for t in test])).tolist()
    labels = sorted({t.label for t in train})
    return classification_scores([t.label for t in test], predictions, labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, help="../shared/data, for SST-2 and AG News")
    args = parser.parse_args()

    corpora = {
        name: (
            load_builtin_classification(name, "train"),
            load_builtin_classification(name, "test"),
        )
        for name in ("sentiment", "topic")
    }
    if args.shared:
        for name, load, folder in (
            ("SST-2", load_sst2, "sst2"),
            ("AG News", load_ag_news, "ag_news"),
        ):
            splits = load(args.shared / folder)
            corpora[name] = (splits["train"], splits["test"])
    print(f"{'corpus':<10} {'train':>6} {'test':>5} {'acc (all)':>10} {'acc (5 words)':>14}")
    for name, (train, test) in corpora.items():
        full, first5 = bag_of_words(train, test), bag_of_words(train, test, first_words=5)
        print(
            f"{name:<10} {len(train):>6} {len(test):>5} {full['accuracy']:>10.3f} "
            f"{first5['accuracy']:>14.3f}"
        )

    test = load_builtin_summarization("test")
    scorers = {t: RougeReward(t) for t in ("rouge1", "rouge2", "rougeL")}
    rows = {"lead-1": [], "oracle-1": [], "source": []}
    for example in test:
        sentences = split_sentences(example.prompt)
        best = max(sentences, key=lambda s: scorers["rouge1"].score(s, example.references))
        for row, text in (("lead-1", sentences[0]), ("oracle-1", best), ("source", example.prompt)):
            rows[row].append([scorers[t].score(text, example.references) for t in scorers])
    print(f"\nsummarization test ({len(test)} documents): ROUGE F-measure")
    print(f"{'summary':<10} {'R1':>6} {'R2':>6} {'RL':>6}")
    for row, values in rows.items():
        means = [sum(column) / len(column) for column in zip(*values)]
        print(f"{row:<10} " + " ".join(f"{m:>6.3f}" for m in means))
    lead, oracle = (sum(v[0] for v in rows[r]) / len(test) for r in ("lead-1", "oracle-1"))
    print(f"built-in summarization R1: lead-1 {lead:.3f}, oracle-1 {oracle:.3f}")


if __name__ == "__main__":
    main()
