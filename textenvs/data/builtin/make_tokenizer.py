"""Build the small tokenizer shipped with textenvs, from the built-in corpora.

A byte-level BPE (any text round-trips through it) with the special tokens ``<pad>`` (id 0),
``<unk>``, ``<s>`` and ``</s>`` (the EOS of generation envs), trained with Hugging Face
``tokenizers`` on every built-in corpus. Generation envs use it when no tokenizer is given, so
that they work offline; a policy with its own tokenizer passes that tokenizer to the env.

Regenerate (from the repository root, after regenerating the corpora)::

    python -m textenvs.data.builtin.make_tokenizer
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer

SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")
VOCAB_SIZE = 4096


def corpus_texts() -> Iterator[str]:
    """Every text of the built-in corpora, in a fixed order."""
    from textenvs.data import SPLITS, load_builtin_classification, load_builtin_ner
    from textenvs.data.generation_loaders import load_builtin_summarization
    from textenvs.data.text_loaders import BUILTIN_CLASSIFICATION

    for split in SPLITS:
        for sentence in load_builtin_ner(split):
            yield " ".join(sentence.words)
        for name in BUILTIN_CLASSIFICATION:
            for text in load_builtin_classification(name, split):
                yield text.text
        for example in load_builtin_summarization(split):
            yield example.prompt
            yield from example.references


def build(vocab_size: int = VOCAB_SIZE) -> Tokenizer:
    """Train the tokenizer (a ``tokenizers.Tokenizer``) on the built-in corpora."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus_texts(), trainer=trainer)
    return tokenizer


def main(argv: Sequence[str] | None = None) -> None:
    """Write ``tokenizer.json`` next to this module (or to ``--out``)."""
    parser = argparse.ArgumentParser(description="Build the shipped textenvs tokenizer.")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "tokenizer.json")
    parser.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    args = parser.parse_args(argv)
    build(args.vocab_size).save(str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
