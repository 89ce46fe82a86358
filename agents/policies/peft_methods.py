"""Parameter-efficient heads on a backbone, by name: LoRA, IA3, prompts, adapters, BitFit.

LoRA, IA3 and prompt / prefix tuning come from Hugging Face ``peft``; bottleneck adapters
(:mod:`agents.policies.adapters`) and BitFit (train the bias terms only) are written here
because peft has neither. ``none`` trains the whole backbone and ``frozen`` trains nothing of
it (only the policy's task heads learn). Apart from ``none`` and ``bitfit``, the backbone's
own weights never change: the reference model of a KL penalty is the same model with its
adapters disabled (:func:`adapters_disabled`), one copy of the weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import peft
from torch import nn

from agents.policies.adapters import ACTIVATIONS, PLACEMENTS, adapters_off, add_adapters
from textenvs.errors import InputError

PEFT_METHODS = (
    "lora",
    "ia3",
    "prompt_tuning",
    "prefix_tuning",
    "adapter",
    "bitfit",
    "none",
    "frozen",
)
VIRTUAL_TOKEN_METHODS = ("prompt_tuning", "prefix_tuning")
"""The prompt-learning methods: virtual tokens before the input on every forward pass, which
a KV cache cannot continue and a merge cannot fold into the weights."""
DISABLEABLE = ("lora", "ia3", "prompt_tuning", "prefix_tuning", "adapter")
"""The methods whose adapters :func:`adapters_disabled` switches off (a KL reference)."""


@dataclass
class PeftSpec:
    """Which parameter-efficient method to apply, and its settings.

    Attributes:
        method: one of ``PEFT_METHODS``.
        r: LoRA rank.
        alpha: LoRA scaling numerator (``lora_alpha``).
        dropout: LoRA dropout.
        target_modules: module names to adapt (LoRA, IA3); None lets peft pick its default
            for the architecture, ``"all-linear"`` adapts every linear layer.
        use_dora: LoRA with weight decomposition (DoRA).
        use_rslora: rank-stabilised LoRA scaling (alpha / sqrt(r)).
        num_virtual_tokens: prompt / prefix length for prompt and prefix tuning.
        adapter_size: bottleneck width of each bottleneck adapter.
        adapter_placement: ``"pfeiffer"`` (one adapter per layer, after the feed-forward
            block: half the adapters of ``"houlsby"`` for about its accuracy, Pfeiffer et al.
            2021) or ``"houlsby"`` (after the attention and the feed-forward blocks).
        adapter_activation: the adapters' non-linearity, a name in
            ``agents.policies.adapters.ACTIVATIONS``.
    """

    method: str = "lora"
    r: int = field(default=8, metadata={"help": "LoRA rank"})
    alpha: int = field(default=16, metadata={"help": "LoRA alpha"})
    dropout: float = field(default=0.0, metadata={"help": "LoRA dropout"})
    target_modules: list[str] | str | None = field(
        default=None, metadata={"help": "modules to adapt; None = peft's default"}
    )
    use_dora: bool = field(default=False, metadata={"help": "DoRA"})
    use_rslora: bool = field(default=False, metadata={"help": "rank-stabilised LoRA"})
    num_virtual_tokens: int = field(default=8, metadata={"help": "prompt/prefix tuning length"})
    adapter_size: int = field(default=64, metadata={"help": "bottleneck adapter width"})
    adapter_placement: str = field(
        default="pfeiffer",
        metadata={"help": "bottleneck adapters: pfeiffer (after feed-forward) or houlsby (+ attn)"},
    )
    adapter_activation: str = field(
        default="relu", metadata={"help": f"bottleneck adapters: {', '.join(ACTIVATIONS)}"}
    )

    def __post_init__(self) -> None:
        if self.method not in PEFT_METHODS:
            raise InputError(f"unknown PEFT method {self.method!r}; expected one of {PEFT_METHODS}")
        for name in ("r", "alpha", "num_virtual_tokens", "adapter_size"):
            if getattr(self, name) < 1:
                raise InputError(f"PEFT {name} must be >= 1, got {getattr(self, name)!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"PEFT dropout must be in [0, 1), got {self.dropout!r}")
        for name, known in (
            ("adapter_placement", PLACEMENTS),
            ("adapter_activation", tuple(ACTIVATIONS)),
        ):
            if getattr(self, name) not in known:
                raise InputError(
                    f"PEFT {name} must be one of {', '.join(known)}, got {getattr(self, name)!r}"
                )


def apply_peft(model: nn.Module, spec: PeftSpec | str, causal: bool = False) -> nn.Module:
    """Wrap or freeze ``model`` so that only the method's parameters train.

    Args:
        model: a ``transformers`` model.
        spec: the method (a name takes the default settings).
        causal: the model is a causal LM (peft task type ``CAUSAL_LM``), else an encoder
            (``FEATURE_EXTRACTION``).

    Returns:
        A ``peft.PeftModel`` for peft's methods, else ``model`` itself with
        ``requires_grad`` set (and, for ``adapter``, bottleneck adapters inserted).

    Raises:
        InputError: BitFit on a model without bias terms; bottleneck adapters on an
            architecture where no place for them is found.
    """
    spec = PeftSpec(spec) if isinstance(spec, str) else spec
    if spec.method == "adapter":
        model.requires_grad_(False)
        add_adapters(model, spec.adapter_size, spec.adapter_placement, spec.adapter_activation)
        return model
    if spec.method in ("none", "frozen", "bitfit"):
        for name, parameter in model.named_parameters():
            trains = spec.method == "none" or (spec.method == "bitfit" and _is_bias(name))
            parameter.requires_grad_(trains)
        if spec.method == "bitfit" and not any(p.requires_grad for p in model.parameters()):
            raise InputError(
                f"BitFit trains bias terms, and {type(model).__name__} has none: choose "
                "another PEFT method"
            )
        return model
    task_type = peft.TaskType.CAUSAL_LM if causal else peft.TaskType.FEATURE_EXTRACTION
    config: Any
    if spec.method == "lora":
        config = peft.LoraConfig(
            task_type=task_type,
            r=spec.r,
            lora_alpha=spec.alpha,
            lora_dropout=spec.dropout,
            target_modules=spec.target_modules,
            use_dora=spec.use_dora,
            use_rslora=spec.use_rslora,
        )
    elif spec.method == "ia3":
        config = peft.IA3Config(task_type=task_type, target_modules=spec.target_modules)
    elif spec.method == "prompt_tuning":
        config = peft.PromptTuningConfig(
            task_type=task_type, num_virtual_tokens=spec.num_virtual_tokens
        )
    else:
        config = peft.PrefixTuningConfig(
            task_type=task_type, num_virtual_tokens=spec.num_virtual_tokens
        )
    return peft.get_peft_model(model, config)


def trainable_parameters(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, sum(p.numel() for p in model.parameters())


@contextmanager
def adapters_disabled(model: nn.Module) -> Iterator[nn.Module]:
    """The base model inside ``model``, adapters off: the reference policy, no weight copy.

    Yields the module to call: for LoRA, IA3 and bottleneck adapters the same model with its
    adapter layers switched off (bottleneck adapters fixed into the backbone by
    ``merged_backbone`` stay on), for prompt and prefix tuning the wrapped base model (no
    virtual tokens). For ``none``, ``frozen`` and ``bitfit`` there is nothing to switch off:
    it yields ``model`` (whose weights may have changed; such runs need their own reference).
    """
    config = getattr(model, "active_peft_config", None)
    if config is not None and config.is_prompt_learning:
        yield model.get_base_model()
    elif hasattr(model, "disable_adapter"):
        with model.disable_adapter():
            yield model
    else:
        with adapters_off(model):
            yield model


def _is_bias(name: str) -> bool:
    return name.endswith(".bias") or name == "bias"
