"""A generative policy for TextSummarization-v0 and any text generation env.

A causal LM with a PEFT method and a value head. Acting samples the next token (temperature,
top-k, top-p) and keeps the episode's KV cache, so each step feeds one new token instead of
the whole sequence. For the policy-gradient learners of :mod:`agents.learners.rollout`,
:meth:`GenerativePolicy.step_outputs` gives the raw (unwarped) next-token logits and values
from the same cached path, and :meth:`GenerativePolicy.evaluate_actions` rescores a rollout's
steps with one forward pass per episode. Learners on whole completions get log-probabilities
and values in one pass (:meth:`GenerativePolicy.sequence_logprobs`); the KL reference is the
same model with its adapters disabled (``reference=True``): one copy of the weights, never a
deep copy.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from transformers.generation.logits_process import (
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from agents.common.vector import episode_id
from agents.policies.backbones import Backbone
from agents.policies.base import PeftPolicy
from agents.policies.peft_methods import PeftSpec, adapters_disabled
from textenvs.errors import InputError


class GenerativePolicy(PeftPolicy):
    r"""Write completions token by token with a causal LM.

    Args:
        backbone: a causal backbone (e.g. ``load_backbone("smollm2")``); the env must use the
            same tokenizer (``gym.make(..., tokenizer=policy.tokenizer)``).
        peft: the parameter-efficient method (see :mod:`agents.policies.peft_methods`).
        prompt_template: how an episode's prompt becomes the model's context, with
            ``{prompt}`` standing for it (e.g. ``"Headline for: {prompt}\\nHeadline:"``).
        temperature: sampling temperature; 0 picks the most likely token.
        top_k: sample among the ``top_k`` most likely tokens (0: all).
        top_p: sample within the smallest set of probability ``top_p`` (1.0: all).
        seed: seed of the sampling generator.
    """

    acting_caches = ("_episodes",)  # per-episode KV caches / states, by sub-env slot

    def __init__(
        self,
        backbone: Backbone,
        peft: PeftSpec | str = "lora",
        prompt_template: str = "{prompt}",
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if backbone.kind != "causal":
            raise InputError(f"a GenerativePolicy needs a causal backbone, got {backbone.kind}")
        if "{prompt}" not in prompt_template:
            raise InputError(f"prompt_template must contain {{prompt}}, got {prompt_template!r}")
        if temperature < 0 or top_k < 0 or not 0.0 < top_p <= 1.0:
            raise InputError(
                f"need temperature >= 0, top_k >= 0 and 0 < top_p <= 1; got {temperature}, "
                f"{top_k}, {top_p}"
            )
        self._init_transformer(backbone, peft)
        self.prompt_template = prompt_template
        self.temperature, self.top_k, self.top_p, self.seed = temperature, top_k, top_p, seed
        self.value_head = nn.Linear(backbone.hidden_size, 1)
        self.generator = torch.Generator().manual_seed(seed)
        self.forward_calls = 0
        self._episodes: dict[int, dict[str, Any]] = {}

    def policy_arguments(self) -> dict[str, Any]:
        """The arguments that rebuild this policy (see :meth:`PeftPolicy.save`)."""
        return {
            "prompt_template": self.prompt_template,
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "seed": self.seed,
        }

    def prompt_ids(self, prompt: str) -> list[int]:
        """The context token ids of one prompt."""
        return self.tokenizer(self.prompt_template.format(prompt=prompt))["input_ids"]

    # -- acting with the KV cache ------------------------------------------------------------

    @torch.no_grad()
    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """Sample the next token of the episode that started with ``info``."""
        return self.act_batch(
            {k: np.asarray(v)[None] for k, v in observation.items()}, [info], np.asarray(mask)[None]
        )[0]

    @torch.no_grad()
    def act_batch(
        self, observations: dict[str, np.ndarray], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> np.ndarray:
        """Sample the next token of each episode, feeding each only the tokens it has not seen."""
        split = [{k: v[i] for k, v in observations.items()} for i in range(len(infos))]
        logits = self.step_logits(split, infos, masks)
        return np.array([self.sample(row) for row in logits], dtype=np.int64)

    @torch.no_grad()
    def step_outputs(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked next-token logits and values of each episode, for acting.

        The logits are the model's raw ones: temperature, top-k and top-p shape only
        :meth:`sample` (acting and :meth:`predict`), so a learner's distribution is the one
        :meth:`evaluate_actions` scores. Episode ``i`` is identified by its reset ``info``
        object; each call feeds it only the tokens its KV cache lacks.
        """
        self._check_vocabulary(masks)
        logits, states = [], []
        for slot, (observation, info) in enumerate(zip(observations, infos)):
            slot_logits, state = self._next_outputs(slot, info, _generated(observation))
            logits.append(slot_logits)
            states.append(state)
        stacked = torch.stack(logits)
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=stacked.device)
        values = self.value_head(torch.stack(states)).squeeze(-1)
        return stacked.masked_fill(~valid, float("-inf")), values

    def _check_vocabulary(self, masks: np.ndarray) -> None:
        if masks.shape[-1] != len(self.tokenizer):
            raise InputError(
                f"the env has {masks.shape[-1]} actions but this policy's tokenizer has "
                f"{len(self.tokenizer)} tokens: make the env with tokenizer=policy.tokenizer"
            )

    def _next_logits(self, slot: int, info: dict[str, Any], generated: list[int]) -> torch.Tensor:
        """Next-token logits of the episode in ``slot``, feeding only what the cache lacks."""
        return self._next_outputs(slot, info, generated)[0]

    def _next_outputs(
        self, slot: int, info: dict[str, Any], generated: list[int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Next-token logits and last hidden state of the episode in ``slot``."""
        episode = self._episodes.get(slot)
        if episode is None or episode["episode"] != episode_id(info):  # new: read its prompt
            episode = {"episode": episode_id(info), "seen": 0, "cache": None}
            self._episodes[slot] = episode
            new = self.prompt_ids(info["prompt"]) + list(generated)
        else:
            new = list(generated[episode["seen"] :])
        episode["seen"] = len(generated)
        if new:
            self.forward_calls += 1
            output = self.transformer(
                input_ids=torch.tensor([new], device=self.device),
                past_key_values=episode["cache"],
                use_cache=True,
                output_hidden_states=True,
            )
            episode["cache"], episode["logits"] = output.past_key_values, output.logits[0, -1]
            episode["state"] = output.hidden_states[-1][0, -1]
        return episode["logits"], episode["state"]

    def sample(self, logits: torch.Tensor) -> int:
        """One token from logits, with this policy's temperature, top-k and top-p."""
        if self.temperature == 0:
            return int(logits.argmax())
        warpers = LogitsProcessorList([TemperatureLogitsWarper(self.temperature)])
        if self.top_k:
            warpers.append(TopKLogitsWarper(self.top_k))
        if self.top_p < 1.0:
            warpers.append(TopPLogitsWarper(self.top_p))
        warped = warpers(None, logits[None].float())[0]
        probabilities = warped.softmax(-1).cpu()  # the generator lives on the CPU
        return int(torch.multinomial(probabilities, 1, generator=self.generator))

    # -- the one-shot path for learners -------------------------------------------------------

    def sequence_logprobs(
        self, prompts: list[str], completions: list[list[int]], reference: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probabilities and values of completion tokens given prompts, in one pass.

        Args:
            prompts: the episodes' prompts.
            completions: the token ids each episode wrote (EOS included if written).
            reference: score with the adapters disabled (the KL reference policy).

        Returns:
            ``(logprobs, values, mask)``, each ``(batch, longest completion)``: the
            log-probability of each written token, the value of the state before it, and
            which positions hold a token.
        """
        contexts = [self.prompt_ids(p) for p in prompts]
        sequences = [c + list(t) for c, t in zip(contexts, completions)]
        width = max(len(s) for s in sequences)
        pad = self.tokenizer.pad_token_id or 0
        device = self.device
        input_ids = torch.tensor([s + [pad] * (width - len(s)) for s in sequences], device=device)
        attention = torch.tensor(
            [[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=device
        )
        if reference:
            with adapters_disabled(self.transformer) as model:
                output = model(
                    input_ids=input_ids, attention_mask=attention, output_hidden_states=True
                )
        else:
            output = self.transformer(
                input_ids=input_ids, attention_mask=attention, output_hidden_states=True
            )
        logprobs = output.logits.log_softmax(-1)
        values = self.value_head(output.hidden_states[-1]).squeeze(-1)
        longest = max(len(t) for t in completions)
        token_logprobs = torch.zeros(len(prompts), longest, device=device)
        state_values = torch.zeros(len(prompts), longest, device=device)
        mask = torch.zeros(len(prompts), longest, dtype=torch.bool, device=device)
        for row, (context, written) in enumerate(zip(contexts, completions)):
            # Token t of the completion is predicted at position len(context) + t - 1.
            positions = torch.arange(
                len(context) - 1, len(context) - 1 + len(written), device=device
            )
            tokens = torch.tensor(written, device=device)
            token_logprobs[row, : len(written)] = logprobs[row, positions, tokens]
            state_values[row, : len(written)] = values[row, positions]
            mask[row, : len(written)] = True
        return token_logprobs, state_values, mask

    def evaluate_actions(
        self,
        observations: list[dict[str, Any]],
        infos: list[dict[str, Any]],
        actions: torch.Tensor,
        masks: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probabilities, entropies and values of taken tokens, with gradients.

        For learners: samples are grouped by episode (``episode_id``); one forward
        pass per episode over its prompt and the longest completion its samples observed
        gives every step's logits (the raw ones, as :meth:`step_outputs`).
        """
        self._check_vocabulary(masks)
        rows: dict[int, int] = {}
        prompts: list[str] = []
        completions: list[list[int]] = []
        samples: list[list[tuple[int, int]]] = []  # per episode: (sample, tokens written)
        for sample, (observation, info) in enumerate(zip(observations, infos)):
            generated = _generated(observation)
            row = rows.setdefault(episode_id(info), len(prompts))
            if row == len(prompts):
                prompts.append(info["prompt"])
                completions.append(generated)
                samples.append([])
            elif len(generated) > len(completions[row]):
                completions[row] = generated
            samples[row].append((sample, len(generated)))
        logits, states, order = [], [], []
        for prompt, written, episode in zip(prompts, completions, samples):
            context = self.prompt_ids(prompt)
            sequence = context + written
            self.forward_calls += 1
            output = self.transformer(
                input_ids=torch.tensor([sequence], device=self.device), output_hidden_states=True
            )
            # The token after ``n`` written ones is predicted at position len(context) + n - 1
            # of the sequence (prompt-tuning virtual tokens come before it).
            positions = torch.tensor([len(context) + n - 1 for _, n in episode], device=self.device)
            logits.append(output.logits[0, -len(sequence) :][positions])
            states.append(output.hidden_states[-1][0, -len(sequence) :][positions])
            order.extend(sample for sample, _ in episode)
        inverse = torch.empty(len(order), dtype=torch.long)
        inverse[torch.tensor(order)] = torch.arange(len(order))
        inverse = inverse.to(self.device)
        step_logits = torch.cat(logits)[inverse]
        values = self.value_head(torch.cat(states)[inverse]).squeeze(-1)
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=step_logits.device)
        distribution = torch.distributions.Categorical(
            logits=step_logits.masked_fill(~valid, float("-inf")).float()
        )
        actions = actions.to(step_logits.device)
        return distribution.log_prob(actions), distribution.entropy(), values

    # -- checks and deployment ---------------------------------------------------------------

    def check_env(self, env: gym.Env) -> None:
        """Fail clearly if ``env`` does not use this policy's tokenizer."""
        env_tokenizer = getattr(env.unwrapped, "tokenizer", None)
        same = (
            env_tokenizer is not None
            and env_tokenizer.vocab_size == len(self.tokenizer)
            and env_tokenizer.encode("The cat sat.")
            == self.tokenizer.encode("The cat sat.", add_special_tokens=False)
        )
        if not same:
            raise InputError(
                f"the env's tokenizer ({getattr(env_tokenizer, 'name', None)}) is not this "
                f"policy's ({self.backbone_name}): make the env with tokenizer=policy.tokenizer"
            )

    @torch.no_grad()
    def predict(self, prompts: list[str], max_new_tokens: int = 32) -> list[str]:
        """Completions of new prompts (the deployment step), sampled as when acting."""
        completions = []
        eos = self.tokenizer.eos_token_id
        for prompt in prompts:
            self._episodes.pop(-1, None)  # slot -1: one prediction at a time, no env
            info, written = {"prompt": prompt, "episode_id": -1}, []
            for _ in range(max_new_tokens):
                token = self.sample(self._next_logits(-1, info, written))
                if token == eos:
                    break
                written.append(token)
            completions.append(self.tokenizer.decode(written, skip_special_tokens=True))
        return completions


def _generated(observation: dict[str, Any]) -> list[int]:
    """The token ids an episode has written so far, from its observation."""
    ids = np.asarray(observation["generated_ids"])
    return ids[np.asarray(observation["generated_mask"]) > 0].tolist()
