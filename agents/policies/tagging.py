"""A tagging policy for TextNER-v0: encoder + PEFT + tag head + value head.

The encoder reads a sentence ONCE per episode: its word states (the hidden state of each
word's first sub-word) are cached, and every step only applies the small heads to the current
word, optionally conditioned on the previous tag. The one-shot path (:meth:`forward_words`)
scores every position of a batch of sentences at once for learners and the supervised
baseline; per-step acting gives the same logits.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from agents.common.vector import episode_id
from agents.policies.backbones import Backbone
from agents.policies.base import PeftPolicy
from agents.policies.peft_methods import PeftSpec
from textenvs.data.tags import allowed_after
from textenvs.data.tokenize import word_tokenize
from textenvs.errors import InputError


class TaggingPolicy(PeftPolicy):
    """Tag words with an encoder's first-sub-word states and a linear head.

    Args:
        backbone: the encoder and its tokenizer (e.g. ``load_backbone("minilm")``).
        tag_names: the env's tags in action order (``env.unwrapped.tag_names``).
        peft: the parameter-efficient method (see :mod:`agents.policies.peft_methods`).
        condition_on_previous_tag: add a learned embedding of the previous tag (or of the
            sentence start) to the word state before the heads.
        max_tokens: sub-word tokens per sentence the encoder reads; words past it get a zero
            state.
        chunk_tokens: the encoder reads a batch in chunks of sentences of similar length, each
            at most this many tokens with its padding (a sentence longer than it goes alone),
            so it does not compute on the padding of short sentences next to long ones. None:
            256 on CPU (on random batches of 32 CoNLL-2003 sentences, 2.0x faster forward and
            1.8x forward and backward than one padded batch; ``benchmarks/policy_cost.py``),
            16384 on an accelerator; 0: one padded batch.
    """

    acting_caches = ("_cache",)

    def __init__(
        self,
        backbone: Backbone,
        tag_names: tuple[str, ...] | list[str],
        peft: PeftSpec | str = "lora",
        condition_on_previous_tag: bool = False,
        max_tokens: int = 256,
        chunk_tokens: int | None = None,
    ) -> None:
        super().__init__()
        if backbone.kind != "encoder":
            raise InputError(f"a TaggingPolicy needs an encoder backbone, got {backbone.kind}")
        if not getattr(backbone.tokenizer, "is_fast", False):
            raise InputError("a TaggingPolicy needs a fast tokenizer (it aligns words to tokens)")
        self._init_transformer(backbone, peft)
        self.tag_names = tuple(tag_names)
        self.condition_on_previous_tag = condition_on_previous_tag
        self.max_tokens = max_tokens
        if chunk_tokens is not None and chunk_tokens < 0:
            raise InputError(f"chunk_tokens must be >= 0 or None, got {chunk_tokens!r}")
        self.chunk_tokens = chunk_tokens
        hidden = backbone.hidden_size
        n_tags = len(self.tag_names)
        self.previous_tag = nn.Embedding(n_tags + 1, hidden) if condition_on_previous_tag else None
        self.tag_head = nn.Linear(hidden, n_tags)
        self.value_head = nn.Linear(hidden, 1)
        self.encoder_calls = 0
        # Sub-env -> (its episode's reset info, the batch of word states its sentence was
        # encoded in, its row there).
        self._cache: dict[int, tuple[Any, torch.Tensor, int]] = {}

    # -- the one-shot path -------------------------------------------------------------------

    def encode_words(self, sentences: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the encoder once on a batch of sentences (in chunks of similar length).

        Returns:
            ``(word_states, word_mask)``: ``(batch, max_words, hidden)`` first-sub-word states
            (zeros for words past ``max_tokens``) and a ``(batch, max_words)`` bool mask.
        """
        self.encoder_calls += 1
        tokens = self.tokenizer(
            sentences, is_split_into_words=True, truncation=True, max_length=self.max_tokens
        )
        rows = [(ids, tokens.word_ids(i)) for i, ids in enumerate(tokens["input_ids"])]
        states: list[torch.Tensor] = [torch.empty(0)] * len(sentences)
        for chunk in self._chunks([len(ids) for ids, _ in rows]):
            chunk_states = self._first_subword_states([rows[i] for i in chunk])
            for i, row_states in zip(chunk, chunk_states):
                states[i] = row_states[: len(sentences[i])]
        max_words = max(len(s) for s in sentences)
        word_states = nn.utils.rnn.pad_sequence(states, batch_first=True)
        word_states = nn.functional.pad(word_states, (0, 0, 0, max_words - word_states.shape[1]))
        words = torch.tensor([len(s) for s in sentences])
        word_mask = torch.arange(max_words)[None, :] < words[:, None]
        return word_states, word_mask.to(self.device)

    def _chunks(self, lengths: list[int]) -> list[list[int]]:
        """Indices of ``lengths`` in chunks of similar length within the token budget."""
        budget = self.chunk_tokens
        if budget is None:
            budget = 256 if self.device.type == "cpu" else 16384
        if budget == 0:
            return [list(range(len(lengths)))]
        chunks: list[list[int]] = [[]]
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            if chunks[-1] and (len(chunks[-1]) + 1) * lengths[i] > budget:
                chunks.append([])
            chunks[-1].append(i)
        return chunks

    def _first_subword_states(self, rows: list[tuple[list[int], list[int | None]]]) -> torch.Tensor:
        """``(rows, max_words, hidden)``: each word's first sub-word state (0 if cut off).

        ``rows`` are each sentence's token ids and the word of each token (None: special).
        """
        width = max(len(ids) for ids, _ in rows)
        input_ids = torch.full((len(rows), width), self.tokenizer.pad_token_id or 0)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        max_words = 1 + max((w for _, words in rows for w in words if w is not None), default=0)
        first = torch.full((len(rows), max_words), -1, dtype=torch.long)  # CPU, filled by loops
        for row, (ids, words) in enumerate(rows):
            start = width - len(ids) if self.tokenizer.padding_side == "left" else 0
            input_ids[row, start : start + len(ids)] = torch.tensor(ids)
            attention_mask[row, start : start + len(ids)] = 1
            for token, word in enumerate(words, start):
                if word is not None and first[row, word] < 0:
                    first[row, word] = token
        device = self.device
        hidden = self.transformer(
            input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)
        ).last_hidden_state
        hidden = hidden[:, -width:]  # drop prompt-tuning virtual tokens
        gathered = hidden.gather(
            1, first.clamp(min=0).to(device)[..., None].expand(-1, -1, hidden.shape[-1])
        )
        return gathered * (first >= 0).to(device)[..., None]

    def heads(
        self, word_states: torch.Tensor, previous_tags: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Tag logits and values from word states (``previous_tags``: -1 = sentence start)."""
        if self.previous_tag is not None:
            if previous_tags is None:
                raise InputError("this policy conditions on the previous tag: pass previous_tags")
            index = torch.where(previous_tags < 0, len(self.tag_names), previous_tags)
            word_states = word_states + self.previous_tag(index)
        return self.tag_head(word_states), self.value_head(word_states).squeeze(-1)

    def forward_words(
        self, sentences: list[list[str]], previous_tags: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Score every position of a batch at once: ``(logits, values, word_mask)``.

        ``previous_tags`` (``(batch, max_words)``, -1 at the start) are the tags the episode
        chose, for a policy conditioned on them (teacher forcing in the supervised baseline).
        """
        word_states, word_mask = self.encode_words(sentences)
        logits, values = self.heads(word_states, previous_tags)
        return logits, values, word_mask

    # -- acting ------------------------------------------------------------------------------

    def step_outputs(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked tag logits and values of each episode's current word, encoding new sentences.

        Sub-env ``i``'s episode is recognised by its reset info's ``episode_id``: a new one
        means a new sentence, encoded (with the other new ones, in one batch) and cached.
        """
        if masks.shape[-1] != len(self.tag_names):
            raise InputError(
                f"the env has {masks.shape[-1]} actions but this policy has "
                f"{len(self.tag_names)} tags {self.tag_names}: build it with the env's tag_names"
            )
        new = [
            i for i, info in enumerate(infos) if self._cache.get(i, (None,))[0] != episode_id(info)
        ]
        if new:
            # Episodes on the same sentence (RLOO/GRPO groups) share one encoding.
            rows: dict[tuple[str, ...], int] = {}
            for i in new:
                rows.setdefault(tuple(infos[i]["words"]), len(rows))
            recorded = self._recorded
            if recorded is None:
                states, _ = self.encode_words([list(words) for words in rows])
            else:  # keep the graph for the learner (see reusing_acting_forward)
                with torch.enable_grad():
                    states, _ = self.encode_words([list(words) for words in rows])
                recorded.update((words, (states, row)) for words, row in rows.items())
                states = states.detach()
            for i in new:
                self._cache[i] = (episode_id(infos[i]), states, rows[tuple(infos[i]["words"])])
        return self._scores([self._cache[i][1:] for i in range(len(infos))], observations, masks)

    def evaluate_actions(
        self,
        observations: list[dict[str, Any]],
        infos: list[dict[str, Any]],
        actions: torch.Tensor,
        masks: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probabilities, entropies and values of taken actions, with gradients.

        For learners: each distinct sentence among the samples is encoded once, in one
        batch, whatever the number of its steps and of the episodes played on it; or not at
        all if acting just encoded them all (see :meth:`reusing_acting_forward`).
        """
        sentences = list(dict.fromkeys(tuple(info["words"]) for info in infos))
        recorded = self._recorded or {}
        if all(words in recorded for words in sentences):
            sources = {words: recorded[words] for words in sentences}
            recorded.clear()  # one use: the next call follows an optimizer step
        else:
            states, _ = self.encode_words([list(words) for words in sentences])
            sources = {words: (states, row) for row, words in enumerate(sentences)}
        logits, values = self._scores(
            [sources[tuple(i["words"])] for i in infos], observations, masks
        )
        distribution = torch.distributions.Categorical(logits=logits)
        actions = actions.to(logits.device)
        return distribution.log_prob(actions), distribution.entropy(), values

    def _scores(
        self,
        sources: list[tuple[torch.Tensor, int]],
        observations: list[dict[str, Any]],
        masks: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked logits and values at each observation's word (``sources``: see below)."""
        current, positions = self._word_states(sources, observations)
        previous = None
        if self.previous_tag is not None:
            previous = torch.tensor(
                [int(o["tags"][p - 1]) if p > 0 else -1 for o, p in zip(observations, positions)],
                device=self.device,
            )
        logits, values = self.heads(current, previous)
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=logits.device)
        return logits.masked_fill(~valid, float("-inf")), values

    def _word_states(
        self, sources: list[tuple[torch.Tensor, int]], observations: list[dict[str, Any]]
    ) -> tuple[torch.Tensor, list[int]]:
        """``(observations, hidden)`` states of each observation's word, and its position.

        ``sources[i]``: the ``(batch, max_words, hidden)`` word states observation ``i``'s
        sentence was encoded in, and its row there. The states of each batch are gathered
        in one indexing operation (one backward), not one per observation.
        """
        batches: dict[int, tuple[torch.Tensor, list[int]]] = {}
        for i, (states, _) in enumerate(sources):
            batches.setdefault(id(states), (states, []))[1].append(i)
        rows = torch.tensor([row for _, row in sources])
        positions = torch.tensor([int(o["position"]) for o in observations])
        gathered, order = [], []
        for states, members in batches.values():
            index = torch.tensor(members)
            # A vector env's terminal observation points past the last word; its action is
            # ignored (the sub-env resets on the next step), so any word state will do.
            positions[index] = positions[index].clamp(max=states.shape[1] - 1)
            device = states.device
            gathered.append(states[rows[index].to(device), positions[index].to(device)])
            order.append(index)
        if len(gathered) == 1:
            return gathered[0], positions.tolist()
        back = torch.argsort(torch.cat(order))  # to the observations' order
        return torch.cat(gathered)[back.to(gathered[0].device)], positions.tolist()

    def check_env(self, env: gym.Env) -> None:
        """Fail clearly if ``env``'s tags are not this policy's."""
        env_tags = tuple(getattr(env.unwrapped, "tag_names", ()))
        if env_tags != self.tag_names:
            raise InputError(
                f"this policy was built for tags {self.tag_names}, but the env has {env_tags}"
            )

    # -- deployment --------------------------------------------------------------------------

    @torch.no_grad()
    def plan_episodes(self, infos: list[dict[str, Any]]) -> list[list[int]]:
        """The actions greedy acting would take in each episode, for whole sentences at once.

        A tagging episode's observations follow from its words and the tags chosen so far, so
        greedy acting (argmax of the masked logits, step by step) is known in advance: one
        encoder pass over the batch, then one masked argmax per position for every sentence
        together. Evaluation plays these actions instead of calling the policy at each step.

        Args:
            infos: each episode's reset info (its ``"words"``).

        Returns:
            Per episode, the tag id of every word.
        """
        return self.greedy_tag_ids([list(info["words"]) for info in infos])

    @torch.no_grad()
    def greedy_tag_ids(self, sentences: list[list[str]], iob2: bool = True) -> list[list[int]]:
        """Greedy tag ids of whole sentences (see :meth:`plan_episodes`).

        ``iob2``: keep the tags valid IOB2, as the env's action mask does; else each word
        takes its most likely tag (what an exported token classifier computes).
        """
        if not sentences:
            return []
        word_states, _ = self.encode_words(sentences)
        valid = iob2_transitions(self.tag_names).to(word_states.device)
        if not iob2:
            valid = torch.ones_like(valid)
        longest = max(len(words) for words in sentences)
        chosen = torch.empty((len(sentences), longest), dtype=torch.long)
        previous = torch.full((len(sentences),), -1, dtype=torch.long, device=word_states.device)
        for position in range(longest):
            # Words past the encoded ones (beyond max_tokens) read the last state, as acting.
            states = word_states[:, min(position, word_states.shape[1] - 1)]
            logits, _ = self.heads(states, previous if self.previous_tag is not None else None)
            previous = logits.masked_fill(~valid[previous], float("-inf")).argmax(-1)
            chosen[:, position] = previous.cpu()
        return [chosen[row, : len(words)].tolist() for row, words in enumerate(sentences)]

    @torch.no_grad()
    def predict(self, texts: list[str] | list[list[str]], iob2: bool = True) -> list[list[str]]:
        """Tags for new text: raw strings (word-tokenized here) or lists of words.

        Decodes left to right, greedily, keeping the tags valid IOB2 (an ``I-X`` only after
        ``B-X`` or ``I-X``) unless ``iob2`` is False: then every word takes its most likely
        tag, as the exported token classifier does (see :mod:`agents.training.export`).
        """
        sentences = [word_tokenize(t) if isinstance(t, str) else list(t) for t in texts]
        tag_ids = self.greedy_tag_ids(sentences, iob2=iob2)
        return [[self.tag_names[i] for i in ids] for ids in tag_ids]

    def policy_arguments(self) -> dict[str, Any]:
        """The arguments that rebuild this policy (see :meth:`PeftPolicy.save`)."""
        return {
            "tag_names": list(self.tag_names),
            "condition_on_previous_tag": self.condition_on_previous_tag,
            "max_tokens": self.max_tokens,
            "chunk_tokens": self.chunk_tokens,
        }


def iob2_transitions(tag_names: tuple[str, ...]) -> torch.Tensor:
    """``valid[previous + 1?]``: row ``p`` (or -1 = start) -> tags valid after it, IOB2."""
    before = [*tag_names, None]  # row -1: the start of a sentence
    return torch.tensor(
        [[allowed_after(tag, previous) for tag in tag_names] for previous in before]
    )
