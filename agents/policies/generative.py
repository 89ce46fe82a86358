"""A generative policy for TextSummarization-v0 and any text generation env.

A causal LM with a PEFT method and a value head. Acting samples the next token (temperature,
top-k, top-p) and keeps the episode's KV cache, so each step feeds one new token instead of
the whole sequence. For the policy-gradient learners of :mod:`agents.learners.rollout`,
:meth:`GenerativePolicy.step_outputs` gives the next-token logits divided by the sampling
temperature (the distribution learners sample from and score, as TRL's ``GRPOTrainer``
does; top-k and top-p shape only :meth:`GenerativePolicy.predict` and acting) and values
from the same cached path, and :meth:`GenerativePolicy.evaluate_actions` rescores a rollout's
steps with one forward pass per episode. Learners on whole completions get log-probabilities
and values in one pass (:meth:`GenerativePolicy.sequence_logprobs`); the KL reference is the
same model with its adapters disabled (``reference=True``): one copy of the weights, never a
deep copy.
"""

from __future__ import annotations

import warnings
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
from agents.policies.kv_batch import (
    cache_keyword,
    episode_rows,
    output_cache,
    pad_rows,
    row_positions,
)
from agents.policies.peft_methods import VIRTUAL_TOKEN_METHODS, PeftSpec, adapters_disabled
from textenvs.errors import InputError

COMPLETION_ROOM = 256
"""Tokens of the model's context kept free for the completion by default."""


class GenerativePolicy(PeftPolicy):
    r"""Write completions token by token with a causal LM.

    Args:
        backbone: a causal backbone (e.g. ``load_backbone("smollm2")``); the env must use the
            same tokenizer (``gym.make(..., tokenizer=policy.tokenizer)``).
        peft: the parameter-efficient method (see :mod:`agents.policies.peft_methods`).
        prompt_template: how an episode's prompt becomes the model's context, with
            ``{prompt}`` standing for it (e.g. ``"Headline for: {prompt}\\nHeadline:"``).
        temperature: sampling temperature; 0 picks the most likely token. Learners sample
            from and score the model's distribution at this temperature (its logits divided
            by it; at 0, the model's own distribution), so RL trains the distribution it
            samples from.
        top_k: sample among the ``top_k`` most likely tokens (0: all).
        top_p: sample within the smallest set of probability ``top_p`` (1.0: all).
        seed: seed of the sampling generator.
        max_prompt_tokens: the longest context a prompt may make (template included);
            default: the model's context length less :data:`COMPLETION_ROOM`. A longer
            prompt is cut at its end (the template's text before and after it stays), with
            a warning the first time: news-like prompts keep their lead.
    """

    acting_caches = ("_batch",)  # the batched KV cache of the episodes in flight, by slot
    score_tokens = 4096
    """Most tokens (prompt + completion, padded) in one batched forward pass of
    :meth:`evaluate_actions`: larger is faster, smaller holds less activation memory."""

    def __init__(
        self,
        backbone: Backbone,
        peft: PeftSpec | str = "lora",
        prompt_template: str = "{prompt}",
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int = 0,
        max_prompt_tokens: int | None = None,
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
        context = getattr(backbone.model.config, "max_position_embeddings", None)
        if max_prompt_tokens is None and context is not None:
            max_prompt_tokens = max(1, context - COMPLETION_ROOM)
        if max_prompt_tokens is not None and max_prompt_tokens < 1:
            raise InputError(f"max_prompt_tokens must be >= 1, got {max_prompt_tokens}")
        self.max_prompt_tokens = max_prompt_tokens
        self._warned_cut = False
        self._init_transformer(backbone, peft)
        self.prompt_template = prompt_template
        self.temperature, self.top_k, self.top_p, self.seed = temperature, top_k, top_p, seed
        self.value_head = nn.Linear(backbone.hidden_size, 1)
        self.generator = torch.Generator().manual_seed(seed)
        self.forward_calls = 0
        self._batch: dict[str, Any] = {}

    def policy_arguments(self) -> dict[str, Any]:
        """The arguments that rebuild this policy (see :meth:`PeftPolicy.save`)."""
        return {
            "prompt_template": self.prompt_template,
            "temperature": self.temperature,
            "top_k": self.top_k,
            "top_p": self.top_p,
            "seed": self.seed,
            "max_prompt_tokens": self.max_prompt_tokens,
        }

    def prompt_ids(self, prompt: str) -> list[int]:
        """The context token ids of one prompt, cut to ``max_prompt_tokens`` if longer.

        Raises:
            InputError: the template alone is longer than ``max_prompt_tokens``.
        """
        ids = self.tokenizer(self.prompt_template.format(prompt=prompt))["input_ids"]
        limit = self.max_prompt_tokens
        if limit is None or len(ids) <= limit:
            return ids
        before, after = self.prompt_template.split("{prompt}", 1)
        head = self.tokenizer(before)["input_ids"] if before else []
        tail = self.tokenizer(after, add_special_tokens=False)["input_ids"] if after else []
        room = limit - len(head) - len(tail)
        if room < 1:
            raise InputError(
                f"the prompt template alone takes {len(head) + len(tail)} tokens; "
                f"max_prompt_tokens is {limit}"
            )
        if not self._warned_cut:
            self._warned_cut = True
            warnings.warn(
                f"a prompt of {len(ids)} tokens is cut to max_prompt_tokens={limit} (its end "
                "goes); later cuts are silent",
                stacklevel=2,
            )
        body = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        return head + body[:room] + tail

    def target_ids(self, completion: str) -> list[int]:
        """The token ids this policy would write for ``completion``, EOS last.

        For teacher forcing (the supervised baseline). After a template that does not end
        in whitespace (``"...Headline:"``) the completion starts with a space, as a model
        continues such a line; after one that does (a newline) it starts at once.
        """
        text = completion.strip()
        if not self.prompt_template.endswith((" ", "\n", "\t")):
            text = " " + text
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        eos = self.tokenizer.eos_token_id
        return list(ids) + ([eos] if eos is not None else [])

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
        logits = self._masked_outputs(split, infos, masks)[0]
        return np.array([self.sample(row) for row in logits], dtype=np.int64)

    @torch.no_grad()
    def step_outputs(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked next-token logits (over the temperature) and values of each episode.

        The logits are the model's divided by the sampling temperature (see
        :meth:`tempered`): the distribution a learner samples from, the one
        :meth:`evaluate_actions` scores; top-k and top-p shape only :meth:`sample`
        (acting and :meth:`predict`). Episode ``i`` is identified by its reset ``info``'s
        ``episode_id``; each call feeds it only the tokens its KV cache lacks, all episodes
        in one forward pass (:class:`agents.policies.kv_batch.BatchedContexts`; with prompt
        or prefix tuning, one pass per episode).
        """
        logits, values = self._masked_outputs(observations, infos, masks)
        return self.tempered(logits), values

    def tempered(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits divided by the sampling temperature (unchanged at temperature 0)."""
        return logits if self.temperature in (0.0, 1.0) else logits / self.temperature

    def _masked_outputs(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The model's own masked next-token logits, and values, of each episode."""
        self._check_vocabulary(masks)
        stacked, states = self._next_outputs([_generated(o) for o in observations], infos)
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=stacked.device)
        values = self.value_head(states).squeeze(-1)
        return stacked.masked_fill(~valid, float("-inf")), values

    def _next_outputs(
        self, generated: list[list[int]], infos: list[dict[str, Any]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Next-token logits and last hidden states of each slot's episode.

        Prompt and prefix tuning put virtual tokens before the context on every forward
        pass, which a KV cache cannot continue: they read each whole context again (one
        batched pass, no cache). The other methods continue the batched cache.
        """
        if self.peft_spec.method in VIRTUAL_TOKEN_METHODS:
            sequences = [self.prompt_ids(i["prompt"]) + g for i, g in zip(infos, generated)]
            return self._score_positions(sequences, [[len(s) - 1] for s in sequences])
        return self._batched_outputs(generated, infos)

    def _batched_outputs(
        self, generated_ids: list[list[int]], infos: list[dict[str, Any]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Next-token logits and last states of every slot's episode, in one batched pass."""
        rows = episode_rows(self._batch, self.tokenizer.pad_token_id, self.device)
        restart = rows.start([episode_id(info) for info in infos])
        tokens = [
            self.prompt_ids(info["prompt"]) + generated if fresh else generated[seen:]
            for generated, info, fresh, seen in zip(generated_ids, infos, restart, rows.progress)
        ]
        written = [len(generated) for generated in generated_ids]
        self.forward_calls += rows.feed(self.transformer, tokens, restart, written)
        contexts = rows.contexts
        assert contexts.logits is not None and contexts.states is not None
        return contexts.logits, contexts.states

    def _check_vocabulary(self, masks: np.ndarray) -> None:
        if masks.shape[-1] != len(self.tokenizer):
            raise InputError(
                f"the env has {masks.shape[-1]} actions but this policy's tokenizer has "
                f"{len(self.tokenizer)} tokens: make the env with tokenizer=policy.tokenizer"
            )

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
            log-probability of each written token under the model's own distribution (not
            over the sampling temperature: teacher forcing fits the model itself), the
            value of the state before it, and which positions hold a token. Batched as
            :meth:`evaluate_actions` (at most :attr:`score_tokens` tokens a pass, logits
            only where a token is scored).
        """
        contexts = [self.prompt_ids(p) for p in prompts]
        sequences = [c + list(t) for c, t in zip(contexts, completions)]
        # Token t of the completion is predicted at position len(context) + t - 1.
        wanted = [
            list(range(len(c) - 1, len(c) - 1 + len(t))) for c, t in zip(contexts, completions)
        ]
        if reference:
            with adapters_disabled(self.transformer) as model:
                logits, states = self._score_positions(sequences, wanted, model, contexts)
        else:
            logits, states = self._score_positions(sequences, wanted, contexts=contexts)
        written = torch.tensor(
            [t for c in completions for t in c], dtype=torch.long, device=logits.device
        )
        flat_logprobs = logits.float().log_softmax(-1).gather(1, written[:, None])[:, 0]
        flat_values = self.value_head(states).squeeze(-1)
        longest = max((len(t) for t in completions), default=0)
        mask = torch.zeros(len(prompts), longest, dtype=torch.bool, device=logits.device)
        for row, tokens in enumerate(completions):
            mask[row, : len(tokens)] = True
        token_logprobs = flat_logprobs.new_zeros(mask.shape).masked_scatter(mask, flat_logprobs)
        state_values = flat_values.new_zeros(mask.shape).masked_scatter(mask, flat_values)
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
        gives every step's logits (over the temperature, as :meth:`step_outputs`).
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
        contexts = [self.prompt_ids(p) for p in prompts]
        sequences = [c + w for c, w in zip(contexts, completions)]
        # The token after ``n`` written ones is predicted at position len(context) + n - 1.
        wanted = [
            [len(sequence) - len(written) + n - 1 for _, n in episode]
            for sequence, written, episode in zip(sequences, completions, samples)
        ]
        logits, states = self._score_positions(sequences, wanted, contexts=contexts)
        order = [sample for episode in samples for sample, _ in episode]
        inverse = torch.empty(len(order), dtype=torch.long)
        inverse[torch.tensor(order)] = torch.arange(len(order))
        inverse = inverse.to(self.device)
        step_logits = logits[inverse]
        values = self.value_head(states[inverse]).squeeze(-1)
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=step_logits.device)
        distribution = torch.distributions.Categorical(
            logits=self.tempered(step_logits.masked_fill(~valid, float("-inf")).float())
        )
        actions = actions.to(step_logits.device)
        return distribution.log_prob(actions), distribution.entropy(), values

    def _score_positions(
        self,
        sequences: list[list[int]],
        wanted: list[list[int]],
        model: Any = None,
        contexts: list[list[int]] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and last hidden states at positions ``wanted[i]`` of each sequence.

        Batches of at most :attr:`score_tokens` tokens, gradients flowing when enabled.
        Only the wanted positions go through the output layer, so a batch never holds
        ``tokens x vocabulary`` logits. Rows come out in order: every wanted position of
        sequence 0, then of sequence 1, ...

        ``contexts``: each sequence's prompt part, when every wanted position lies at or
        after its last token. Sequences that share a context (the ``k`` samples of a prompt
        in RLOO / GRPO) then run it once, and their completions continue its KV cache
        (except with prompt and prefix tuning, whose virtual tokens a cache cannot carry).
        """
        model = self.transformer if model is None else model
        shared = (
            contexts is not None
            and self.peft_spec.method not in VIRTUAL_TOKEN_METHODS
            and len({tuple(c) for c in contexts}) < len(contexts)
        )
        if shared:
            assert contexts is not None
            states = self._shared_context_states(model, contexts, sequences, wanted)
        else:
            states = self._sequence_states(model, sequences, wanted)
        logits = model.get_output_embeddings()(states)
        cap = getattr(model.config, "final_logit_softcapping", None)
        if cap:  # Gemma-2-style soft-capped logits
            logits = cap * torch.tanh(logits / cap)
        return logits, states

    def _sequence_states(
        self, model: Any, sequences: list[list[int]], wanted: list[list[int]]
    ) -> torch.Tensor:
        """Last hidden states at ``wanted`` positions: right-padded whole sequences."""
        states = []
        pad = self.tokenizer.pad_token_id or 0
        for chunk in _chunks([len(s) for s in sequences], self.score_tokens):
            ids, attention = pad_rows([sequences[i] for i in chunk], pad)
            width = ids.shape[1]
            self.forward_calls += 1
            output = model(
                input_ids=ids.to(self.device),
                attention_mask=attention.to(self.device),
                output_hidden_states=True,
                logits_to_keep=1,
            )
            # prompt tuning puts virtual tokens first: the sequence is the last ``width``
            hidden = output.hidden_states[-1][:, -width:]
            rows = torch.tensor(
                [row for row, i in enumerate(chunk) for _ in wanted[i]], dtype=torch.long
            )
            columns = torch.tensor([p for i in chunk for p in wanted[i]], dtype=torch.long)
            states.append(hidden[rows.to(self.device), columns.to(self.device)])
        return torch.cat(states)

    def _shared_context_states(
        self,
        model: Any,
        contexts: list[list[int]],
        sequences: list[list[int]],
        wanted: list[list[int]],
    ) -> torch.Tensor:
        """As :meth:`_sequence_states`, each distinct context run once (see ``contexts``).

        Per batch: one pass over the distinct contexts (left-padded, so each ends in the
        last column), then one over all completions (right-padded) continuing their
        context's cache, copied to each of its sequences. Gradients flow into both.
        """
        device, pad = self.device, self.tokenizer.pad_token_id or 0
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, context in enumerate(contexts):
            groups.setdefault(tuple(context), []).append(i)
        units = list(groups.items())
        sizes = [len(c) + sum(len(sequences[i]) - len(c) for i in rows) for c, rows in units]
        found: dict[tuple[int, int], torch.Tensor] = {}  # (sequence, position) -> state
        for chunk in _chunks(sizes, self.score_tokens, padded=False):
            chosen = [units[u] for u in chunk]
            ids, mask = pad_rows([list(context) for context, _ in chosen], pad, left=True)
            self.forward_calls += 1
            prompt_pass = model(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                position_ids=row_positions(mask).to(device),
                use_cache=True,
                output_hidden_states=True,
                logits_to_keep=1,
            )
            last = prompt_pass.hidden_states[-1][:, -1]  # the state after each context
            members = [(g, i) for g, (_, rows) in enumerate(chosen) for i in rows]
            longest = max(len(sequences[i]) - len(contexts[i]) for _, i in members)
            completion_states = None
            if longest > 0:
                cache = output_cache(prompt_pass)
                group_of = torch.tensor([g for g, _ in members], device=device)
                for layer in cache.layers:
                    layer.keys = layer.keys.index_select(0, group_of)
                    layer.values = layer.values.index_select(0, group_of)
                ids, written = pad_rows([sequences[i][len(contexts[i]) :] for _, i in members], pad)
                lengths = torch.tensor([len(contexts[i]) for _, i in members])
                self.forward_calls += 1
                completion_pass = model(
                    input_ids=ids.to(device),
                    attention_mask=torch.cat([mask.to(device)[group_of], written.to(device)], 1),
                    position_ids=(lengths[:, None] + torch.arange(longest)).to(device),
                    **{cache_keyword(model): cache},
                    use_cache=True,
                    output_hidden_states=True,
                    logits_to_keep=1,
                )
                completion_states = completion_pass.hidden_states[-1]
            for row, (g, i) in enumerate(members):
                for position in wanted[i]:
                    step = position - (len(contexts[i]) - 1)  # tokens written before it
                    if step == 0:
                        found[i, position] = last[g]
                    else:
                        assert completion_states is not None
                        found[i, position] = completion_states[row, step - 1]
        picked = [found[i, p] for i in range(len(sequences)) for p in wanted[i]]
        return torch.stack(picked) if picked else last.new_zeros(0, last.shape[-1])

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
        eos = self.tokenizer.eos_token_id
        infos = [{"prompt": prompt, "episode_id": i} for i, prompt in enumerate(prompts)]
        written: list[list[int]] = [[] for _ in prompts]
        running = [True] * len(prompts)
        in_flight = self.acting_state()  # a rollout's episodes, left as they were
        self.load_acting_state({})
        try:
            for _ in range(max_new_tokens if prompts else 0):
                logits, _ = self._next_outputs(written, infos)
                for row in np.flatnonzero(running):
                    token = self.sample(logits[row])
                    if token == eos:
                        running[row] = False
                    else:
                        written[row].append(token)
                if not any(running):
                    break
        finally:
            self.load_acting_state(in_flight)
        return [self.tokenizer.decode(w, skip_special_tokens=True) for w in written]


def _chunks(sizes: list[int], most_tokens: int, padded: bool = True) -> list[list[int]]:
    """Consecutive indices grouped so that each group's cost stays under ``most_tokens``.

    The cost of a group is its padded size (its largest size times its count) or, with
    ``padded=False``, its total. An item over the budget gets a group of its own.
    """
    chunks: list[list[int]] = []
    current: list[int] = []
    width = total = 0
    for i, size in enumerate(sizes):
        cost = max(width, size) * (len(current) + 1) if padded else total + size
        if current and cost > most_tokens:
            chunks.append(current)
            current, width, total = [], 0, 0
        current.append(i)
        width, total = max(width, size), total + size
    return [*chunks, current] if current else chunks


def _generated(observation: dict[str, Any]) -> list[int]:
    """The token ids an episode has written so far, from its observation."""
    ids = np.asarray(observation["generated_ids"])
    return ids[np.asarray(observation["generated_mask"]) > 0].tolist()
