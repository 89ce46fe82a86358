"""Stable-Baselines3 algorithms as textenvs agents: trained on the envs unmodified.

textenvs envs pass SB3's ``check_env``, so ``PPO("MultiInputPolicy", gym.make(...))`` trains
on them as they are, and sb3-contrib's ``MaskablePPO`` reads their ``action_masks()``.
:class:`SB3Agent` wraps a trained model in the agent interface (``act``), so
:func:`agents.common.evaluation` and the benchmark harness run it beside the policy-gradient
learners; :func:`train_sb3` trains one for a time budget.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from agents.common.protocol import BaseAgent
from agents.policies.backbones import load_backbone
from agents.policies.tagging import TaggingPolicy
from textenvs.errors import InputError

ALGORITHMS = ("sb3-ppo", "sb3-a2c", "sb3-maskable-ppo", "sb3-ppo-lora")


class SB3Agent(BaseAgent):
    """A trained SB3 model acting greedily; a masked model gets the env's valid actions.

    Args:
        model: a trained SB3 (or sb3-contrib) model.
        masked: pass ``action_masks`` to ``predict`` (MaskablePPO).
    """

    def __init__(self, model: Any, masked: bool = False) -> None:
        self.model, self.masked = model, masked

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """The model's deterministic action (the first valid one if it picks an invalid one)."""
        if self.masked:
            action, _ = self.model.predict(observation, deterministic=True, action_masks=mask)
        else:
            action, _ = self.model.predict(observation, deterministic=True)
        action = int(np.asarray(action).reshape(-1)[0])
        return action if mask[action] else int(np.flatnonzero(mask)[0])


def train_sb3(
    algorithm: str,
    env_id: str,
    seconds: float,
    seed: int = 0,
    max_steps: int | None = None,
    backbone: str = "minilm",
    peft: str = "lora",
    **env_kwargs: Any,
) -> SB3Agent:
    """Train an SB3 algorithm on ``env_id``'s training split for ``seconds`` (or steps).

    ``sb3-ppo-lora`` is SB3's PPO on :func:`transformer_extractor` features (``backbone``
    with ``peft``), for TextNER-v0.

    Raises:
        ValueError: an unknown algorithm, or sb3-contrib missing for MaskablePPO.
    """

    class StopAfter(BaseCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.deadline = time.perf_counter() + seconds

        def _on_step(self) -> bool:
            return time.perf_counter() < self.deadline

    env = gym.make(env_id, split="train", **env_kwargs)
    if algorithm == "sb3-maskable-ppo":
        try:
            from sb3_contrib import MaskablePPO
        except ImportError:
            raise InputError(
                "sb3-maskable-ppo needs sb3-contrib: pip install sb3-contrib"
            ) from None
        model: Any = MaskablePPO("MultiInputPolicy", env, seed=seed, verbose=0)
    elif algorithm == "sb3-ppo-lora":
        if not hasattr(env.unwrapped, "tag_names"):
            raise InputError(f"sb3-ppo-lora reads tagging observations (TextNER-v0), not {env_id}")
        kwargs = transformer_extractor(env, backbone=backbone, peft=peft)
        model = PPO(
            "MultiInputPolicy", env, policy_kwargs=kwargs, n_steps=256, seed=seed, verbose=0
        )
    elif algorithm in ("sb3-ppo", "sb3-a2c"):
        cls = PPO if algorithm == "sb3-ppo" else A2C
        model = cls("MultiInputPolicy", env, seed=seed, verbose=0)
    else:
        raise InputError(f"unknown SB3 algorithm {algorithm!r}; use one of {ALGORITHMS}")
    model.learn(total_timesteps=max_steps or 10**12, callback=StopAfter())
    return SB3Agent(model, masked=algorithm == "sb3-maskable-ppo")


def transformer_extractor(env: gym.Env, backbone: str = "minilm", peft: str = "lora") -> Any:
    """SB3 ``policy_kwargs`` for features from a PEFT transformer reading the sentence.

    For TextNER-v0: the feature vector is the encoder state of the current word. Usage:
    ``PPO("MultiInputPolicy", env, policy_kwargs=transformer_extractor(env))``. Only the
    adapter (and SB3's heads) train; the backbone stays frozen.
    """
    return {
        "features_extractor_class": TransformerExtractor,
        "features_extractor_kwargs": {
            "words": list(env.unwrapped.vocab.words),
            "tag_names": list(env.unwrapped.tag_names),
            "backbone": backbone,
            "peft": peft,
        },
        "share_features_extractor": True,
    }


class TransformerExtractor(BaseFeaturesExtractor):  # type: ignore[misc]
    """SB3 features of a TextNER-v0 observation: a PEFT encoder's state of the current word.

    The observation's word ids (the env's vocabulary) are mapped back to words, the words
    read by the backbone (the same first-sub-word states as :class:`TaggingPolicy`), and the
    state at ``position`` is the feature vector. Words outside the env's vocabulary reach the
    backbone as ``<unk>``: the env's observation is all an SB3 policy sees.
    """

    def __init__(
        self,
        observation_space: gym.spaces.Dict,
        words: list[str],
        tag_names: list[str],
        backbone: str = "minilm",
        peft: str = "lora",
    ) -> None:
        loaded = load_backbone(backbone)
        super().__init__(observation_space, features_dim=loaded.hidden_size)
        self.words = np.asarray(words, dtype=object)
        self.tagger = TaggingPolicy(loaded, tag_names, peft)
        # SB3 owns the heads; the tagger's own heads stay out of the optimisation
        for module in (self.tagger.tag_head, self.tagger.value_head):
            module.requires_grad_(False)

    def forward(self, observations: dict[str, Any]) -> Any:
        """``(batch, hidden)`` states of each observation's current word."""
        ids = observations["word_ids"].long().cpu().numpy()
        lengths = observations["attention_mask"].sum(-1).long().clamp(min=1).cpu().tolist()
        # SB3 one-hot encodes a Discrete entry, as (batch, n) or (batch, 1, n)
        position = observations["position"].reshape(len(ids), -1).argmax(-1).long()
        sentences = [list(self.words[row[:n]]) for row, n in zip(ids, lengths)]
        states, _ = self.tagger.encode_words(sentences)
        index = torch.minimum(
            position.to(states.device), torch.tensor(lengths).to(states.device) - 1
        )
        return states[torch.arange(len(sentences)), index]
