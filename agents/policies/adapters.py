"""Bottleneck adapters (Houlsby et al. 2019, Pfeiffer et al. 2021), written here: peft has none.

An adapter is a small residual MLP, ``x + up(activation(down(x)))``, on the output of a
transformer sub-layer, before that sub-layer's residual connection (and, in BERT, its
LayerNorm). ``houlsby`` puts one after the attention output projection and one after the
feed-forward output projection of every layer; ``pfeiffer`` only the feed-forward one.
The up-projection starts at zero, so a fresh adapter leaves the model's outputs unchanged.

Adapters live inside the projection they follow, as its child ``bottleneck_adapters`` (a
list: a backbone may already hold the fixed adapters of a policy it started from), and a
forward hook on the projection applies them. The backbone's own parameter names do not
change; an adapter's are e.g. ``model.layers.0.mlp.down_proj.bottleneck_adapters.0.up.weight``.
In BERT the projection's dropout follows the adapter; policies keep the backbone in eval
mode, where dropout does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from textenvs.errors import InputError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
}
"""The adapters' non-linearities, by name."""
PLACEMENTS = ("houlsby", "pfeiffer")
"""``houlsby``: after attention and feed-forward; ``pfeiffer``: after feed-forward only."""
ATTENTION_OUTPUTS = ("attention.output.dense", "self_attn.o_proj")
"""Attention output projections, by name inside a layer: BERT family, Llama family."""
FEED_FORWARD_OUTPUTS = ("output.dense", "mlp.down_proj")
"""Feed-forward output projections, by name inside a layer: BERT family, Llama family."""
ATTRIBUTE = "bottleneck_adapters"
_IN_LAYER = re.compile(r".*\.\d+\.(?P<inside>[^\d]+)")  # a module of the layer list's item


class BottleneckAdapter(nn.Module):
    """``x + up(activation(down(x)))``, its up-projection initialised to zero.

    Attributes:
        enabled: applied by its hook (:func:`adapters_off` switches it off).
        fixed: part of the backbone (an adapter of the policy this one started from):
            frozen, and left on by :func:`adapters_off`.
    """

    def __init__(self, width: int, size: int, activation: str) -> None:
        """A fresh adapter.

        Args:
            width: the hidden size it reads and writes.
            size: the bottleneck width.
            activation: a name in ``ACTIVATIONS``.
        """
        super().__init__()
        self.down = nn.Linear(width, size)
        self.activation = ACTIVATIONS[activation]()
        self.up = nn.Linear(size, width)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)
        self.enabled = True
        self.fixed = False

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """The adapted hidden states, same shape."""
        return hidden + self.up(self.activation(self.down(hidden)))


def add_adapters(
    model: nn.Module, size: int, placement: str = "pfeiffer", activation: str = "relu"
) -> list[BottleneckAdapter]:
    """Insert fresh adapters into ``model`` (in place), after any it already holds.

    Args:
        model: a BERT-family encoder or a Llama-family causal LM.
        size: the bottleneck width.
        placement: ``houlsby`` or ``pfeiffer`` (see ``PLACEMENTS``).
        activation: a name in ``ACTIVATIONS``.

    Returns:
        The new adapters, in layer order.

    Raises:
        InputError: an unknown placement or activation, or an architecture where no
            sub-layer output projection is found.
    """
    if placement not in PLACEMENTS or activation not in ACTIVATIONS:
        raise InputError(
            f"bottleneck adapters: placement {placement!r} / activation {activation!r}; "
            f"expected one of {', '.join(PLACEMENTS)} / {', '.join(ACTIVATIONS)}"
        )
    wanted = FEED_FORWARD_OUTPUTS + (ATTENTION_OUTPUTS if placement == "houlsby" else ())
    places = list(_projections(model, wanted))
    feed_forward = list(_projections(model, FEED_FORWARD_OUTPUTS))
    if not feed_forward or (placement == "houlsby" and len(places) != 2 * len(feed_forward)):
        raise InputError(
            f"bottleneck adapters: no {placement} places in {type(model).__name__} (looked "
            f"for linear layers named {', '.join(wanted)} in each layer; BERT- and "
            "Llama-family models have them): choose another PEFT method"
        )
    added = []
    for projection in places:
        adapter = BottleneckAdapter(projection.out_features, size, activation)
        adapter.to(device=projection.weight.device, dtype=projection.weight.dtype)
        if not hasattr(projection, ATTRIBUTE):
            projection.add_module(ATTRIBUTE, nn.ModuleList())
            projection.register_forward_hook(_apply_adapters)
        getattr(projection, ATTRIBUTE).append(adapter)
        added.append(adapter)
    return added


def active_adapters(model: nn.Module) -> list[BottleneckAdapter]:
    """The adapters of ``model`` that are not fixed parts of its backbone."""
    return [m for m in model.modules() if isinstance(m, BottleneckAdapter) and not m.fixed]


def fix_adapters(model: nn.Module) -> None:
    """Make every adapter of ``model`` a frozen part of it, left on by :func:`adapters_off`."""
    for module in model.modules():
        if isinstance(module, BottleneckAdapter):
            module.fixed = True
            module.requires_grad_(False)


@contextmanager
def adapters_off(model: nn.Module) -> Iterator[nn.Module]:
    """Within: ``model`` with its active (not fixed) adapters switched off."""
    adapters = active_adapters(model)
    states = [adapter.enabled for adapter in adapters]
    for adapter in adapters:
        adapter.enabled = False
    try:
        yield model
    finally:
        for adapter, state in zip(adapters, states):
            adapter.enabled = state


def _projections(model: nn.Module, inside: tuple[str, ...]) -> Iterator[nn.Linear]:
    for name, module in model.named_modules():
        match = _IN_LAYER.fullmatch(name)
        if match and match["inside"] in inside and isinstance(module, nn.Linear):
            yield module


def _apply_adapters(module: nn.Module, inputs: Any, output: torch.Tensor) -> torch.Tensor:
    # A module-level function reading the module's own child: copies of the model
    # (deepcopy, pickling) apply their own adapters.
    for adapter in getattr(module, ATTRIBUTE):
        if adapter.enabled:
            output = adapter(output)
    return output
