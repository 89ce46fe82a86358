"""One interface over the tokenizers a generation environment can be given.

A generation env's action space is its tokenizer's vocabulary, so the env and the policy
must share a tokenizer. :class:`TextTokenizer` accepts a Hugging Face tokenizer object (from
``transformers``), a ``tokenizers.Tokenizer``, a path to a ``tokenizer.json``, or a hub
name / local directory for ``AutoTokenizer.from_pretrained``; with nothing it loads the
small tokenizer shipped in the package (built from the built-in corpora by
``textenvs/data/builtin/make_tokenizer.py``), so everything works offline.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from textenvs.errors import InputError

EOS_TOKEN = "</s>"
"""The end-of-sequence token of the shipped tokenizer."""
COMMON_EOS_TOKENS = ("</s>", "<|endoftext|>", "<eos>", "<|im_end|>", "[SEP]")
"""Tried in order on a ``tokenizers.Tokenizer``, which does not name its EOS token."""


class TokenizerError(InputError):
    """A tokenizer that cannot serve a generation env (no EOS token, unreadable, ...)."""


class TextTokenizer:
    """Text <-> token ids, the EOS id and the vocabulary size of any supported tokenizer.

    Args:
        tokenizer: a ``transformers`` tokenizer, a ``tokenizers.Tokenizer``, a path to a
            ``tokenizer.json`` file, a hub name or local directory, or None for the shipped one.
        eos_token: the token that ends a completion; by default the tokenizer's own EOS
            (``transformers``), or the first of :data:`COMMON_EOS_TOKENS` in the vocabulary.

    Attributes:
        vocab_size: the number of token ids (the generation env's action space size).
        eos_token_id: the id that ends a completion.
        name: where the tokenizer came from, for messages and comparisons.
    """

    backend: Any  # a tokenizers.Tokenizer or a transformers tokenizer
    name: str
    vocab_size: int
    eos_token: str | None
    eos_token_id: int

    def __init__(self, tokenizer: Any = None, eos_token: str | None = None) -> None:
        if isinstance(tokenizer, TextTokenizer):
            eos_token = eos_token or tokenizer.eos_token
            tokenizer = tokenizer.backend
        self.backend, self.name = _load(tokenizer)
        if _is_fast_backend(self.backend):
            self.vocab_size = self.backend.get_vocab_size(with_added_tokens=True)
            candidates = [eos_token] if eos_token else COMMON_EOS_TOKENS
            found = [t for t in candidates if self.backend.token_to_id(t) is not None]
            eos = self.backend.token_to_id(found[0]) if found else None
            self.eos_token = found[0] if found else None
        else:  # a transformers tokenizer
            self.vocab_size = len(self.backend)
            self.eos_token = eos_token or self.backend.eos_token
            eos = self.backend.convert_tokens_to_ids(eos_token) if eos_token else None
            eos = self.backend.eos_token_id if eos_token is None else eos
            if eos_token and eos == self.backend.unk_token_id:
                eos = None
        if eos is None:
            raise TokenizerError(
                f"tokenizer {self.name} has no EOS token"
                + (f" {eos_token!r}" if eos_token else "")
                + ": a generation env needs one to know when a completion ends (pass "
                "eos_token=... naming a token of its vocabulary)"
            )
        self.eos_token_id = int(eos)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, without special tokens."""
        if _is_fast_backend(self.backend):
            return self.backend.encode(text, add_special_tokens=False).ids
        return self.backend.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        """The text of some token ids, special tokens skipped."""
        return self.backend.decode(ids, skip_special_tokens=True)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if _is_fast_backend(self.backend):  # tokenizers.Tokenizer pickles through its JSON
            state["backend"] = ("tokenizers-json", self.backend.to_str())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        backend = state["backend"]
        if isinstance(backend, tuple) and backend[0] == "tokenizers-json":
            from tokenizers import Tokenizer

            state["backend"] = Tokenizer.from_str(backend[1])
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"TextTokenizer({self.name}, vocab_size={self.vocab_size})"


def shipped_tokenizer_path() -> Path:
    """The path of the tokenizer shipped with textenvs."""
    with resources.as_file(resources.files("textenvs.data.builtin") / "tokenizer.json") as path:
        return Path(path)


def _is_fast_backend(backend: Any) -> bool:
    return type(backend).__module__.startswith("tokenizers")


def _load(tokenizer: Any) -> tuple[Any, str]:
    if tokenizer is None:
        tokenizer = shipped_tokenizer_path()
    if isinstance(tokenizer, (str, Path)):
        path = Path(tokenizer)
        if path.suffix == ".json" and path.is_file():
            from tokenizers import Tokenizer

            try:
                return Tokenizer.from_file(str(path)), str(path)
            except Exception as error:
                raise TokenizerError(f"{path}: not a tokenizers JSON file ({error})") from None
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(str(tokenizer)), str(tokenizer)
        except OSError as error:
            raise TokenizerError(f"cannot load tokenizer {str(tokenizer)!r}: {error}") from None
    if hasattr(tokenizer, "decode") and (
        hasattr(tokenizer, "get_vocab_size") or hasattr(tokenizer, "eos_token_id")
    ):
        return tokenizer, getattr(tokenizer, "name_or_path", type(tokenizer).__name__)
    raise TokenizerError(
        f"unsupported tokenizer {tokenizer!r}: pass a transformers tokenizer, a "
        "tokenizers.Tokenizer, a tokenizer.json path, or a hub name / local directory"
    )
