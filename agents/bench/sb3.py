"""Stable-Baselines3 algorithms as textenvs agents: trained on the envs unmodified.

textenvs envs pass SB3's ``check_env``, so ``PPO("MultiInputPolicy", gym.make(...))`` trains
on them as they are, and sb3-contrib's ``MaskablePPO`` reads their ``action_masks()``.
:class:`SB3Agent` wraps a trained model in the agent interface (``act``), so
:func:`agents.common.evaluation` and the benchmark harness run it beside the policy-gradient
learners; :func:`train_sb3` trains one for a time budget.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

from agents.common.protocol import BaseAgent
from agents.policies.backbones import load_backbone
from agents.policies.tagging import TaggingPolicy
from textenvs.errors import InputError


@dataclass(frozen=True)
class SB3Recipe:
    """How the bench trains one SB3 agent.

    Attributes:
        algorithm: the class, from SB3 (``PPO``, ``A2C``, ``DQN``) or sb3-contrib
            (``MaskablePPO``).
        hyperparameters: keyword arguments of the algorithm; empty for SB3's defaults.
        training_env: per env id, env settings (e.g. the reward); the model is evaluated
            in an env made with them too, less :data:`TRAINING_ONLY`.
        env_hyperparameters: per env id, keyword arguments of the algorithm that replace
            ``hyperparameters`` on that env.
        n_envs: envs stepped together (SB3's ``DummyVecEnv``).
        steps: env steps it trains for without a time budget.

    Every recipe reads ``observation="features"`` (:data:`OBSERVATION`), in training and
    evaluation.
    """

    algorithm: str
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    training_env: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    env_hyperparameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    n_envs: int = 1
    steps: int = 200_000

    @property
    def masked(self) -> bool:
        """Whether the model reads the env's action masks (MaskablePPO)."""
        return self.algorithm == "MaskablePPO"


OBSERVATION = {"observation": "features"}
"""The observation every SB3 recipe reads: MLP policies learn from features, not word ids."""

TUNED_PPO = {"gamma": 0.5}
"""The tuned PPO / MaskablePPO hyperparameters (``-tuned`` agents); SB3's defaults otherwise.

A tag's reward is known at once, and SB3's default ``gamma=0.99`` adds every later word's
reward to each tag's return: noise that a short horizon removes. Found on TextNER-v0 (see
benchmarks/RESULTS.md); the tuned agents also train TextNER-v0 on its ``token`` reward (one
per correct tag, a denser signal than ``delta_f1``)."""

TUNED_PPO_BY_ENV = {"TextClassification-v0": {**TUNED_PPO, "normalize_advantage": False}}
"""Tuned hyperparameters that differ by env. On TextClassification-v0 (one step per text,
rewards +1 / -1) a policy right on nearly every training text gets advantages of nearly
zero spread; SB3's default per-batch normalisation scales that noise up to unit size and
the policy collapses to one class (0.85 test accuracy at 20k steps, 0.51 at 200k); without
it, it stays at 0.85-0.87 (benchmarks/RESULTS.md)."""

TUNED_ENV = {"TextNER-v0": {"reward": "token"}, "TextClassification-v0": {"mode": "whole"}}
"""Tuned env settings. TextClassification-v0 is played in ``mode="whole"`` (the whole text
observed, one answer): in read mode SB3's PPO learns to answer after two or three words
and not to read on, whatever the discount, entropy bonus or wrong-answer penalty tried
(0.55-0.62 accuracy at 200k steps; benchmarks/RESULTS.md)."""

RECIPES: dict[str, SB3Recipe] = {
    # SB3's defaults; DQN's replay buffer is cut from 1M to 50k observations (1M feature
    # vectors of 2,071 floats would take 16 GB).
    "sb3-ppo": SB3Recipe("PPO"),
    "sb3-a2c": SB3Recipe("A2C"),
    "sb3-dqn": SB3Recipe("DQN", hyperparameters={"buffer_size": 50_000}),
    "sb3-maskable-ppo": SB3Recipe("MaskablePPO"),
    "sb3-ppo-tuned": SB3Recipe("PPO", TUNED_PPO, TUNED_ENV, TUNED_PPO_BY_ENV),
    "sb3-maskable-ppo-tuned": SB3Recipe("MaskablePPO", TUNED_PPO, TUNED_ENV, TUNED_PPO_BY_ENV),
}
"""The SB3 agents of ``textenvs bench`` (plus ``sb3-ppo-lora``, PPO on a LoRA transformer)."""

ALGORITHMS = (*RECIPES, "sb3-ppo-lora")
LORA_STEPS = 50_000
"""Env steps ``sb3-ppo-lora`` trains for without a time budget (a transformer per step)."""


class SB3Agent(BaseAgent):
    """A trained SB3 model acting greedily; a masked model gets the env's valid actions.

    Args:
        model: a trained SB3 (or sb3-contrib) model.
        masked: pass ``action_masks`` to ``predict`` (MaskablePPO).
        env_kwargs: the env settings the model reads (e.g. ``{"observation": "features"}``):
            evaluate it in an env made with them.
    """

    def __init__(
        self, model: Any, masked: bool = False, env_kwargs: Mapping[str, Any] | None = None
    ) -> None:
        self.model, self.masked = model, masked
        self.env_kwargs = dict(env_kwargs or {})

    def act(self, observation: Any, info: dict[str, Any], mask: np.ndarray) -> int:
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
    """Train an SB3 agent (a name of :data:`RECIPES`, or ``sb3-ppo-lora``) on ``env_id``.

    It trains on the training split for ``seconds`` or ``max_steps`` env steps, whichever
    ends first (``max_steps`` defaults to the recipe's). ``env_kwargs`` (e.g. ``dataset``)
    go to ``gym.make`` after the recipe's own. ``sb3-ppo-lora`` is SB3's PPO on
    :func:`transformer_extractor` features (``backbone`` with ``peft``), for TextNER-v0.

    Raises:
        InputError: an unknown algorithm, or sb3-contrib missing for MaskablePPO.
    """

    class StopAfter(BaseCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.deadline = time.perf_counter() + seconds

        def _on_step(self) -> bool:
            return time.perf_counter() < self.deadline

    if algorithm == "sb3-ppo-lora":
        env = gym.make(env_id, split="train", **env_kwargs)
        if not hasattr(env.unwrapped, "tag_names"):
            raise InputError(f"sb3-ppo-lora reads tagging observations (TextNER-v0), not {env_id}")
        kwargs = transformer_extractor(env, backbone=backbone, peft=peft)
        model: Any = PPO(
            "MultiInputPolicy", env, policy_kwargs=kwargs, n_steps=256, seed=seed, verbose=0
        )
        model.learn(total_timesteps=max_steps or LORA_STEPS, callback=StopAfter())
        return SB3Agent(model)
    if algorithm not in RECIPES:
        raise InputError(f"unknown SB3 algorithm {algorithm!r}; use one of {ALGORITHMS}")
    recipe = RECIPES[algorithm]
    settings = {**OBSERVATION, **recipe.training_env.get(env_id, {}), **env_kwargs}
    envs = make_vec_env(
        lambda: gym.make(env_id, split="train", **settings), n_envs=recipe.n_envs, seed=seed
    )
    hyperparameters = recipe.env_hyperparameters.get(env_id, recipe.hyperparameters)
    model = _algorithm_class(recipe.algorithm)(
        "MlpPolicy", envs, seed=seed, verbose=0, **hyperparameters
    )
    model.learn(total_timesteps=max_steps or recipe.steps, callback=StopAfter())
    played = {k: v for k, v in settings.items() if k not in TRAINING_ONLY}
    return SB3Agent(model, masked=recipe.masked, env_kwargs=played)


TRAINING_ONLY = ("reward", "split", "dataset")
"""Env settings for training only: the model is evaluated without them (the rest, e.g. the
observation, ``mode`` or ``max_length``, shape what it reads and stay)."""


def _algorithm_class(name: str) -> Any:
    """The SB3 or sb3-contrib class called ``name``."""
    if name == "MaskablePPO":
        try:
            from sb3_contrib import MaskablePPO
        except ImportError:
            raise InputError(
                "sb3-maskable-ppo needs sb3-contrib: pip install sb3-contrib"
            ) from None
        return MaskablePPO
    return {"PPO": PPO, "A2C": A2C, "DQN": DQN}[name]


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
