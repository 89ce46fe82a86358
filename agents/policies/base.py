"""What every PEFT policy shares: the wrapped transformer, save / load, merge, parameter counts.

A saved policy is a folder with the adapter in PEFT's own layout (``adapter/`` holding
``adapter_model.safetensors`` and ``adapter_config.json``, loadable with ``peft`` alone) or,
for bottleneck adapters, BitFit, full fine-tuning and merged models,
``transformer_trained.safetensors`` (whatever of the backbone trains); ``heads.safetensors``
(the policy's own layers); and ``policy_config.json`` (the policy class, the backbone's name,
the PEFT spec, the policy's arguments and the SHA-256 of each of those files), so that
``load`` rebuilds it from the embedded or hub backbone, after checking that no file changed.
Weights are read only as safetensors: loading a policy cannot run code.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from peft import set_peft_model_state_dict
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from agents.common.protocol import BaseAgent
from agents.policies.adapters import fix_adapters
from agents.policies.backbones import Backbone, load_backbone
from agents.policies.peft_methods import (
    DISABLEABLE,
    VIRTUAL_TOKEN_METHODS,
    PeftSpec,
    adapters_disabled,
    apply_peft,
    trainable_parameters,
)
from textenvs.errors import InputError

CONFIG_FILE = "policy_config.json"
TRANSFORMER_FILE = "transformer_trained.safetensors"
ADAPTER_DIR = "adapter"
HEADS_FILE = "heads.safetensors"
INIT_DIR = "init"
"""Where a policy started from another (``starting_from``) keeps that policy's saved files."""
Policy = TypeVar("Policy", bound="PeftPolicy")


class PeftPolicy(nn.Module, BaseAgent):
    """A transformer backbone with a PEFT method applied, plus the subclass's heads.

    Subclasses call :meth:`_init_transformer` in their ``__init__`` and return their
    constructor arguments (besides ``backbone`` and ``peft``) from :meth:`policy_arguments`.
    Subclasses that cache per-episode state while acting (encoded sentences, KV caches) name
    those dicts in ``acting_caches``: checkpoints save them, evaluation leaves them alone, and
    the reference policy keeps its own.
    """

    transformer: nn.Module
    acting_caches: tuple[str, ...] = ()

    def _init_transformer(self, backbone: Backbone, peft: PeftSpec | str) -> None:
        self.backbone_name = backbone.name
        self.backbone_kind = backbone.kind
        self.tokenizer = backbone.tokenizer
        # The saved files of the policy this one started from (see starting_from), if any.
        self.init_files: dict[str, bytes] = {}
        self.peft_spec = PeftSpec(peft) if isinstance(peft, str) else peft
        self.transformer = apply_peft(
            backbone.model, self.peft_spec, causal=backbone.kind == "causal"
        )
        self.merged = False
        # Grad-carrying encodings acting made for the learner (see reusing_acting_forward).
        self._recorded: dict[Any, Any] | None = None
        # The heads of the policy this one started from, frozen, for the reference (a plain
        # dict: not submodules, so neither trained nor saved with this policy's heads).
        self.start_heads: dict[str, nn.Module] = {}

    @property
    def device(self) -> torch.device:
        """Where the policy's weights are (inputs it builds go there too)."""
        return next(self.parameters()).device

    @torch.no_grad()
    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """The most likely valid action (greedy; learners sample from ``step_outputs``)."""
        return int(self.step_logits([observation], [info], np.asarray(mask)[None])[0].argmax())

    @torch.no_grad()
    def act_batch(
        self, observations: dict[str, np.ndarray], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> np.ndarray:
        """The most likely valid action of each sub-env of a vector env."""
        split = [{k: v[i] for k, v in observations.items()} for i in range(len(infos))]
        return self.step_logits(split, infos, masks).argmax(-1).cpu().numpy()

    def step_logits(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> torch.Tensor:
        """Masked action logits, one row per episode (``step_outputs`` without the values)."""
        return self.step_outputs(observations, infos, masks)[0]

    def step_outputs(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked action logits and values, one row per episode, for acting (no gradients)."""
        raise NotImplementedError

    def policy_arguments(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this policy, JSON-serialisable."""
        raise NotImplementedError

    # -- acting state and the reference policy -------------------------------------------------

    @contextmanager
    def reusing_acting_forward(self) -> Iterator[None]:
        """Within: acting keeps the graph of its encoder passes for one ``evaluate_actions``.

        A learner that takes its first gradient step with the policy that just played the
        episodes (RLOO/GRPO, one update per rollout) would otherwise encode the same texts
        twice: once without gradients to act, once with them for the loss. Policies that
        support it record the grad-carrying encodings here and ``evaluate_actions`` uses them
        up (a later call encodes again, as after an optimizer step it must); the others
        ignore it. Leaving the block drops what was not used.
        """
        self._recorded = {}
        try:
            yield
        finally:
            self._recorded = None

    def acting_state(self) -> dict[str, Any]:
        """The per-episode caches of acting (shallow copies), for checkpoints and evaluation."""
        return {name: dict(getattr(self, name)) for name in self.acting_caches}

    def load_acting_state(self, state: dict[str, Any]) -> None:
        """Put back caches from :meth:`acting_state`."""
        for name in self.acting_caches:
            setattr(self, name, dict(state.get(name, {})))

    @contextmanager
    def reference(self) -> Iterator[None]:
        """Act as the reference policy: adapters disabled, the same heads, its own caches.

        The reference is the backbone without its adapter (no weight copy). For a policy
        started from another (:meth:`starting_from`), the reference is that policy whole: its
        merged backbone and a frozen copy of its heads (``start_heads``). Otherwise the heads
        are shared, so for a policy whose heads are trained from scratch (tagging,
        classification) the KL penalty keeps the adapted representation close to the
        pretrained one; for a language model's own head it is the usual RLHF reference.

        Raises:
            ValueError: the PEFT method has no adapter to disable (``none``, ``frozen``,
                ``bitfit``): the reference would be the trained model itself.
        """
        if self.peft_spec.method not in DISABLEABLE:
            raise InputError(
                f"a KL penalty needs an adapter to disable ({', '.join(DISABLEABLE)}); with "
                f"peft={self.peft_spec.method!r} the reference would be the trained model itself"
            )
        store = self.__dict__.setdefault("_reference_caches", {})
        own = self.acting_state()
        self.load_acting_state(store)
        peft_model = self._modules["transformer"]
        heads = {name: self._modules[name] for name in self.start_heads}
        recorded, self._recorded = self._recorded, None  # not the reference's
        try:
            with adapters_disabled(peft_model) as base:
                self._modules["transformer"] = base
                for name, head in self.start_heads.items():
                    self._modules[name] = head.to(self.device)
                yield
        finally:
            self._recorded = recorded
            self._modules.update(heads)
            self._modules["transformer"] = peft_model
            store.update({name: getattr(self, name) for name in self.acting_caches})
            self.load_acting_state(own)

    @torch.no_grad()
    def reference_step_logits(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> torch.Tensor:
        """The reference policy's masked logits at one step (see :meth:`reference`).

        The rollout core's KL penalty scores a whole rollout at once instead
        (``evaluate_actions`` within :meth:`reference`); this is the step-by-step view.
        """
        with self.reference():
            return self.step_logits(observations, infos, masks)

    def trainable_parameters(self) -> tuple[int, int]:
        """``(trainable, total)`` parameter counts, heads included."""
        return trainable_parameters(self)

    def save(self, directory: str | Path) -> None:
        """Save the trained transformer weights (the adapter), the heads and the config."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self._is_peft_model():
            self.transformer.save_pretrained(str(directory / ADAPTER_DIR))
        else:
            trained = {
                name: parameter.detach().cpu().contiguous()
                for name, parameter in self.transformer.named_parameters()
                if parameter.requires_grad or self.merged  # a merged transformer is saved whole
            }
            save_file(trained, str(directory / TRANSFORMER_FILE))
        heads = {
            name: parameter.detach().cpu().contiguous()
            for name, parameter in self.named_parameters()
            if not name.startswith("transformer.")
        }
        save_file(heads, str(directory / HEADS_FILE))
        for name, content in self.init_files.items():
            path = directory / INIT_DIR / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        config = {
            "policy": type(self).__name__,
            "backbone": self.backbone_name,
            "peft": vars(self.peft_spec),
            "merged": self.merged,
            "arguments": self.policy_arguments(),
            "init": INIT_DIR if self.init_files else None,
            "sha256": {name: _sha256(directory / name) for name in _weight_files(directory)},
        }
        (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2), encoding="utf-8")

    @classmethod
    def load(cls: type[Policy], directory: str | Path, backbone: Backbone | None = None) -> Policy:
        """Rebuild a saved policy, loading its backbone by name unless one is given.

        Raises:
            ValueError: not a saved policy of this class, or weights that do not fit.
        """
        directory = Path(directory)
        adapter = directory / ADAPTER_DIR / "adapter_model.safetensors"
        try:
            config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(f"{directory}: not a saved {cls.__name__} ({error})") from None
        for name, digest in dict(config.get("sha256", {})).items():  # none in older saves
            path = directory / name
            if not path.is_file() or _sha256(path) != digest:
                problem = "missing" if not path.is_file() else "its checksum does not match"
                raise InputError(f"{path}: corrupt saved policy ({problem})")
        trained_file = adapter if adapter.is_file() else directory / TRANSFORMER_FILE
        trained, heads = _read_weights(trained_file), _read_weights(directory / HEADS_FILE)
        if config.get("policy") != cls.__name__:
            raise InputError(f"{directory} holds a {config.get('policy')}, not a {cls.__name__}")
        if config.get("init"):  # started from another policy: rebuild that one, merged
            start = cls.load(directory / INIT_DIR, backbone)
            backbone = merged_backbone(start)
        policy = cls(
            backbone or load_backbone(config["backbone"]),
            peft=PeftSpec(**config["peft"]),
            **config["arguments"],
        )
        if config.get("init"):
            policy.init_files = _policy_files(directory / INIT_DIR)
            policy.start_heads = _frozen_heads(start)
        if adapter.is_file():
            result = set_peft_model_state_dict(policy.transformer, trained)
            # peft loads prompt-learning embeddings itself, then reports their key as unexpected.
            unknown = set(result.unexpected_keys) - {"prompt_embeddings"}
        else:
            unknown = set(trained) - {name for name, _ in policy.transformer.named_parameters()}
            policy.transformer.load_state_dict(trained, strict=False)
        if unknown:
            raise InputError(
                f"{directory}: saved weights {sorted(unknown)[:3]} do not fit the backbone"
            )
        policy.load_state_dict(heads, strict=False)
        policy.merged = config.get("merged", False)
        return policy

    @classmethod
    def starting_from(
        cls: type[Policy], directory: str | Path, peft: PeftSpec | str = "lora", **arguments: Any
    ) -> Policy:
        """A new policy on top of the saved policy in ``directory`` (SFT, then RL).

        The saved policy's adapter is merged into its backbone, which becomes this
        policy's backbone: a new ``peft`` adapter trains on top, the heads start as the
        saved ones, and the KL reference (the backbone with adapters disabled) is the
        starting policy itself, with one copy of the weights. The saved policy's files
        travel with this one (``init/`` of its saved folder), so it loads anywhere.

        Args:
            directory: a saved policy (a run's ``best/``) of this class.
            peft: the new adapter's method.
            arguments: policy arguments that replace the saved policy's (e.g. the
                sampling temperature); the rest are the saved policy's.

        Raises:
            InputError: not a saved policy of this class, or one whose adapter cannot be
                merged (prompt or prefix tuning). Bottleneck adapters, which cannot be
                merged either, stay in the new backbone as fixed, frozen layers.
        """
        directory = Path(directory)
        start = cls.load(directory)
        policy = cls(merged_backbone(start), peft=peft, **{**start.policy_arguments(), **arguments})
        heads = {k: v for k, v in start.state_dict().items() if not k.startswith("transformer.")}
        policy.load_state_dict(heads, strict=False)
        policy.init_files = _policy_files(directory)
        policy.start_heads = _frozen_heads(start)
        return policy

    def _is_peft_model(self) -> bool:
        return hasattr(self.transformer, "peft_config") and not self.merged

    def merge(self: Policy) -> Policy:
        """Fold LoRA / IA3 weights into the transformer, for deployment; returns self.

        Raises:
            InputError: any other method (bottleneck adapters have a non-linearity).
        """
        if self.peft_spec.method == "adapter":
            raise InputError(
                "bottleneck adapters cannot be merged into the backbone (their non-linearity "
                "between the down- and up-projection is no weight update): use the policy "
                "unmerged, or train with lora or ia3 to merge"
            )
        if self.peft_spec.method not in ("lora", "ia3"):
            raise InputError(
                f"only LoRA and IA3 adapters can be merged, not {self.peft_spec.method}"
            )
        self.transformer = self.transformer.merge_and_unload()
        self.peft_spec = PeftSpec("frozen")
        self.merged = True
        return self


def merged_backbone(policy: PeftPolicy) -> Backbone:
    """``policy``'s transformer with its adapter merged in, as a backbone for a new adapter.

    The policy gives up its transformer (merged in place, no copy). Bottleneck adapters
    cannot be merged: they stay, frozen and fixed (a new adapter's ``adapters_disabled``
    leaves them on, so the KL reference is ``policy``).

    Raises:
        InputError: prompt or prefix tuning, whose virtual tokens cannot be merged.
    """
    method = policy.peft_spec.method
    if method in VIRTUAL_TOKEN_METHODS:
        raise InputError(
            f"cannot start from a {method} policy: its virtual tokens cannot be merged into "
            "the backbone (start from a lora, ia3, bitfit or none policy)"
        )
    model = policy.transformer
    if policy._is_peft_model():
        model = model.merge_and_unload() if method in ("lora", "ia3") else model.get_base_model()
    model.requires_grad_(False)
    fix_adapters(model)
    return Backbone(model, policy.tokenizer, policy.backbone_name, policy.backbone_kind)


def _frozen_heads(policy: PeftPolicy) -> dict[str, nn.Module]:
    """Frozen copies of ``policy``'s own layers (every child but the transformer)."""
    heads = {}
    for name, module in policy.named_children():
        if name != "transformer":
            heads[name] = copy.deepcopy(module).requires_grad_(False)
    return heads


def _policy_files(directory: Path) -> dict[str, bytes]:
    """Every file of a saved policy folder (its ``init/`` included), by relative path."""
    files = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            raise InputError(f"{path}: a saved policy holds no links")
        if path.is_file():
            files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return files


def _weight_files(directory: Path) -> list[str]:
    """The saved policy's files that hold weights or configs (``init/`` too), relative paths."""
    names = [HEADS_FILE, TRANSFORMER_FILE, f"{ADAPTER_DIR}/adapter_model.safetensors"]
    names.append(f"{ADAPTER_DIR}/adapter_config.json")
    start = directory / INIT_DIR
    if start.is_dir():
        names += [f"{INIT_DIR}/{p.relative_to(start).as_posix()}" for p in sorted(start.rglob("*"))]
    return [name for name in names if (directory / name).is_file()]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file's tensors, or an InputError naming the file."""
    try:
        return load_file(str(path))
    except (OSError, SafetensorError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"{path}: unreadable weights ({first})") from None
