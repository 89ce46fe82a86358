"""A classification policy for TextClassification-v0: read on, or answer a class.

The policy scores the prefix read so far: ``1 + n_classes`` logits in ``mode="read"``
(read the next word, or answer class k), ``n_classes`` in ``mode="whole"``, and a value.

* Causal backbone: reading a word extends the episode's KV cache with that word's tokens
  only, so a whole episode costs one pass over the text. The one-shot path scores every
  prefix of a text from one forward pass (the state of a prefix is the hidden state of its
  last token).
* Bidirectional encoder: a prefix's state is the mean of its token states, and every new
  word changes all of them, so each step re-encodes the prefix: a text of n words costs n
  encoder passes over up to n words (O(n^2) tokens). Prefer a causal backbone for reading.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.backbones import Backbone
from agents.peft_heads import PeftSpec
from agents.policy_base import PeftPolicy


class ClassificationPolicy(PeftPolicy):
    """Decide, word by word, whether to read on or which class to answer.

    Args:
        backbone: a causal LM (incremental, recommended) or an encoder (re-encodes).
        label_names: the env's classes in answer order (``env.unwrapped.label_names``).
        peft: the parameter-efficient method (see :mod:`agents.peft_heads`).
        mode: the env's mode, ``"read"`` or ``"whole"``.
    """

    def __init__(
        self,
        backbone: Backbone,
        label_names: tuple[str, ...] | list[str],
        peft: PeftSpec | str = "lora",
        mode: str = "read",
    ) -> None:
        super().__init__()
        if mode not in ("read", "whole"):
            raise ValueError(f"unknown mode {mode!r}; expected 'read' or 'whole'")
        self._init_transformer(backbone, peft)
        self.causal = backbone.kind == "causal"
        self.label_names = tuple(label_names)
        self.mode = mode
        n_actions = len(self.label_names) + (1 if mode == "read" else 0)
        self.action_head = nn.Linear(backbone.hidden_size, n_actions)
        self.value_head = nn.Linear(backbone.hidden_size, 1)
        self.forward_calls = 0
        self._episodes: dict[int, dict[str, Any]] = {}

    def policy_arguments(self) -> dict[str, Any]:
        """The arguments that rebuild this policy (see :meth:`PeftPolicy.save`)."""
        return {"label_names": list(self.label_names), "mode": self.mode}

    def word_ids(self, words: list[str]) -> list[list[int]]:
        """The token ids of each word, as read in context (a space before all but the first)."""
        return [
            self.tokenizer(word if i == 0 else " " + word, add_special_tokens=False)["input_ids"]
            for i, word in enumerate(words)
        ]

    # -- the one-shot path -------------------------------------------------------------------

    def prefix_states(self, texts: list[list[str]], lengths: list[list[int]]) -> torch.Tensor:
        """States of prefixes: ``lengths[i]`` lists how many words of text ``i`` each one has.

        Returns:
            ``(total prefixes, hidden)``, in order.
        """
        states = []
        for words, wanted in zip(texts, lengths):
            pieces = self.word_ids(words[: max(wanted)])
            if self.causal:
                flat = [t for piece in pieces for t in piece]
                self.forward_calls += 1
                hidden = self.transformer(
                    input_ids=torch.tensor([flat], device=self.device), output_hidden_states=True
                ).hidden_states[-1][0]
                ends = np.cumsum([len(p) for p in pieces]) - 1
                states.extend(hidden[int(ends[n - 1])] for n in wanted)
            else:
                for n in wanted:
                    states.append(self._encode_prefix([t for piece in pieces[:n] for t in piece]))
        return torch.stack(states)

    def forward_prefixes(
        self, texts: list[list[str]], lengths: list[list[int]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits and values of the given prefixes (see :meth:`prefix_states`)."""
        states = self.prefix_states(texts, lengths)
        return self.action_head(states), self.value_head(states).squeeze(-1)

    def _encode_prefix(self, ids: list[int]) -> torch.Tensor:
        self.forward_calls += 1
        hidden = self.transformer(input_ids=torch.tensor([ids], device=self.device))
        hidden = hidden.last_hidden_state[0]
        return hidden[-len(ids) :].mean(0)  # without prompt-tuning virtual tokens

    # -- acting ------------------------------------------------------------------------------

    def step_logits(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> torch.Tensor:
        """Masked action logits of each episode's prefix; causal backbones extend a KV cache."""
        if masks.shape[-1] != self.action_head.out_features:
            raise ValueError(
                f"the env has {masks.shape[-1]} actions but this policy has "
                f"{self.action_head.out_features} ({self.mode} mode, {len(self.label_names)} "
                f"classes): build it with the env's label_names and mode"
            )
        states = [
            self._episode_state(i, info, int(observation["position"]))
            for i, (observation, info) in enumerate(zip(observations, infos))
        ]
        logits = self.action_head(torch.stack(states))
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=logits.device)
        return logits.masked_fill(~valid, float("-inf"))

    def _episode_state(self, slot: int, info: dict[str, Any], read: int) -> torch.Tensor:
        words = list(info["tokens"])
        read = max(1, min(read, len(words)))
        if not self.causal:
            return self._encode_prefix([t for p in self.word_ids(words[:read]) for t in p])
        episode = self._episodes.get(slot)
        if episode is None or episode["info"] is not info:
            episode = {"info": info, "read": 0, "cache": None, "pieces": self.word_ids(words)}
            self._episodes[slot] = episode
        new = [t for piece in episode["pieces"][episode["read"] : read] for t in piece]
        if new:
            self.forward_calls += 1
            output = self.transformer(
                input_ids=torch.tensor([new], device=self.device),
                past_key_values=episode["cache"],
                use_cache=True,
                output_hidden_states=True,
            )
            episode["cache"] = output.past_key_values
            episode["state"] = output.hidden_states[-1][0, -1]
            episode["read"] = read
        return episode["state"]

    def check_env(self, env: gym.Env) -> None:
        """Fail clearly if ``env``'s classes or mode are not this policy's."""
        unwrapped = env.unwrapped
        if tuple(getattr(unwrapped, "label_names", ())) != self.label_names or (
            getattr(unwrapped, "mode", None) != self.mode
        ):
            raise ValueError(
                f"this policy was built for classes {self.label_names} in {self.mode} mode, "
                f"the env has {getattr(unwrapped, 'label_names', None)} in "
                f"{getattr(unwrapped, 'mode', None)} mode"
            )

    @torch.no_grad()
    def predict(self, texts: list[str]) -> list[str]:
        """The class of each whole text (the deployment step)."""
        from textenvs.data.tokenize import word_tokenize

        words = [word_tokenize(t) for t in texts]
        logits, _ = self.forward_prefixes(words, [[len(w)] for w in words])
        answers = logits[:, 1:] if self.mode == "read" else logits
        return [self.label_names[int(i)] for i in answers.argmax(-1).tolist()]
