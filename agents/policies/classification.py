"""A classification policy for TextClassification-v0: read on, or answer a class.

The policy scores the prefix read so far: ``1 + n_classes`` logits in ``mode="read"``
(read the next word, or answer class k), ``n_classes`` in ``mode="whole"``, and a value.

* Causal backbone: in read mode, reading a word extends the episode's KV cache with that
  word's tokens only, so a whole episode costs one pass over the text; the sub-envs' new
  words go through the model together, in one batched pass per step. The one-shot path
  scores every prefix of a text from one forward pass (the state of a prefix is the hidden
  state of its last token). Prompt and prefix tuning, whose virtual tokens a cache cannot
  continue, re-read the prefix at each step instead.
* Bidirectional encoder: a prefix's state is the mean of its token states (``pooling="mean"``)
  or the encoder's pooler output on its ``[CLS]`` token (``pooling="pooler"``, the state a
  transformers ``...ForSequenceClassification`` model classifies, so such a policy exports
  to one exactly). Every new word changes all token states, so each step re-encodes the
  prefix: a text of n words costs n encoder passes over up to n words (O(n^2) tokens).
  Prefer a causal backbone for reading.
* Encoder with a causal attention mask (``load_backbone("minilm-causal")``): read like a
  causal backbone (one pass per text, a KV cache when acting), and a prefix's state is the
  mean of its token states (``pooling="mean"``), which the one-shot path takes as running
  means of one pass and acting as a running sum the cache extends.
* Whole mode (one step per text): every backbone encodes the texts in one batched pass,
  each distinct text once (a group's k samples of a text share it), and within
  :meth:`~agents.policies.base.PeftPolicy.reusing_acting_forward` (REINFORCE, RLOO/GRPO)
  the learner's loss reuses that pass instead of encoding the texts again.

Acting (:meth:`ClassificationPolicy.step_outputs`) and learning
(:meth:`ClassificationPolicy.evaluate_actions`, one batched pass of the one-shot path over
a rollout's episodes) give the same logits, so learners see the policy that acted.
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
from agents.policies.kv_batch import episode_rows
from agents.policies.peft_methods import VIRTUAL_TOKEN_METHODS, PeftSpec
from textenvs.data.tokenize import word_tokenize
from textenvs.errors import InputError


class ClassificationPolicy(PeftPolicy):
    """Decide, word by word, whether to read on or which class to answer.

    Args:
        backbone: a causal LM or an encoder with a causal mask (incremental, recommended
            for read mode), or a bidirectional encoder (re-encodes each prefix).
        label_names: the env's classes in answer order (``env.unwrapped.label_names``).
        peft: the parameter-efficient method (see :mod:`agents.policies.peft_methods`).
        mode: the env's mode, ``"read"`` or ``"whole"``.
        pooling: an encoder's prefix state: ``"mean"`` of its token states, or ``"pooler"``,
            the encoder's pooler output on ``[CLS]`` (exportable as a transformers sequence
            classifier; see :mod:`agents.training.export`). A causal LM always uses the last
            token's state; an encoder with a causal mask takes ``"mean"`` only.
    """

    # By sub-env slot: re-encoded prefix states, and the batched KV cache of causal reading.
    acting_caches = ("_episodes", "_batch")

    def __init__(
        self,
        backbone: Backbone,
        label_names: tuple[str, ...] | list[str],
        peft: PeftSpec | str = "lora",
        mode: str = "read",
        pooling: str = "mean",
    ) -> None:
        super().__init__()
        if mode not in ("read", "whole"):
            raise InputError(f"unknown mode {mode!r}; expected 'read' or 'whole'")
        if pooling not in ("mean", "pooler"):
            raise InputError(f"unknown pooling {pooling!r}; expected 'mean' or 'pooler'")
        if pooling == "pooler" and (
            backbone.causal_attention or not hasattr(backbone.model, "pooler")
        ):
            raise InputError(
                f"pooling='pooler' needs a bidirectional encoder with a pooler layer; "
                f"{backbone.name!r} ({type(backbone.model).__name__}) is not one "
                f"(use pooling='mean')"
            )
        self._init_transformer(backbone, peft)
        self.causal = backbone.causal_attention
        # An encoder with a causal mask: a prefix's state is the mean of its token states.
        self.prefix_mean = self.causal and backbone.kind == "encoder"
        self.label_names = tuple(label_names)
        self.mode = mode
        self.pooling = pooling
        n_actions = len(self.label_names) + (1 if mode == "read" else 0)
        self.action_head = nn.Linear(backbone.hidden_size, n_actions)
        self.value_head = nn.Linear(backbone.hidden_size, 1)
        self.forward_calls = 0
        self._episodes: dict[int, dict[str, Any]] = {}
        self._batch: dict[str, Any] = {}

    def policy_arguments(self) -> dict[str, Any]:
        """The arguments that rebuild this policy (see :meth:`PeftPolicy.save`)."""
        return {"label_names": list(self.label_names), "mode": self.mode, "pooling": self.pooling}

    def word_ids(self, words: list[str], first: int = 0) -> list[list[int]]:
        """The token ids of each word, as read in context (a space before all but the first).

        ``first`` is the position of ``words[0]`` in its text (for words read later).
        """
        return [
            self.tokenizer(word if i == 0 else " " + word, add_special_tokens=False)["input_ids"]
            for i, word in enumerate(words, start=first)
        ]

    # -- the one-shot path -------------------------------------------------------------------

    def prefix_states(self, texts: list[list[str]], lengths: list[list[int]]) -> torch.Tensor:
        """States of prefixes, from one batched forward pass over all the texts.

        Args:
            texts: the texts' words.
            lengths: ``lengths[i]`` lists how many words of text ``i`` each prefix has.

        Returns:
            ``(total prefixes, hidden)``, in order.
        """
        if self.causal:
            # One causal pass per text reads every prefix of it: a prefix's state is the
            # hidden state of its last token (or the mean of its tokens' states), which
            # never sees the words after it.
            pieces = [self.word_ids(words[: max(wanted)]) for words, wanted in zip(texts, lengths)]
            hidden, _ = self._hidden_states([[t for p in text for t in p] for text in pieces])
            if self.prefix_mean:  # running means; right padding comes after every prefix
                counts = torch.arange(1, hidden.shape[1] + 1, device=hidden.device)
                hidden = hidden.cumsum(1) / counts[None, :, None].to(hidden.dtype)
            rows, positions = [], []
            for row, (text, wanted) in enumerate(zip(pieces, lengths)):
                ends = np.cumsum([len(p) for p in text]) - 1
                rows.extend([row] * len(wanted))
                positions.extend(int(ends[n - 1]) for n in wanted)
            device = hidden.device
            return hidden[torch.tensor(rows, device=device), torch.tensor(positions, device=device)]
        # An encoder's prefix state depends on the whole prefix: one sequence per prefix.
        if self.pooling == "pooler":  # the prefix's text as a sequence classifier reads it,
            # its special tokens ([CLS] ... [SEP]) included
            cut = [" ".join(words[:n]) for words, wanted in zip(texts, lengths) for n in wanted]
            return self._forward(self.tokenizer(cut)["input_ids"]).pooler_output
        prefixes = []
        for words, wanted in zip(texts, lengths):
            pieces = self.word_ids(words[: max(wanted)])
            prefixes.extend([t for piece in pieces[:n] for t in piece] for n in wanted)
        hidden, attention = self._hidden_states(prefixes)
        weights = attention[..., None].to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1)

    def forward_prefixes(
        self, texts: list[list[str]], lengths: list[list[int]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits and values of the given prefixes (see :meth:`prefix_states`)."""
        states = self.prefix_states(texts, lengths)
        return self.action_head(states), self.value_head(states).squeeze(-1)

    def _hidden_states(self, sequences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Last-layer states of right-padded token sequences: ``(states, attention)``.

        Right padding leaves every real token's state as without it (pads come after, and
        are masked out for an encoder), so a batch gives the states of single sequences.
        """
        output = self._forward(sequences)
        hidden = output.hidden_states[-1] if self.causal else output.last_hidden_state
        width = max(len(s) for s in sequences)
        attention = torch.tensor(
            [[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=hidden.device
        )
        return hidden[:, -width:], attention  # without prompt-tuning virtual tokens

    def _forward(self, sequences: list[list[int]]) -> Any:
        """The transformer's output on right-padded token sequences."""
        width = max(len(s) for s in sequences)
        pad = self.tokenizer.pad_token_id or 0
        device = self.device
        input_ids = torch.tensor([s + [pad] * (width - len(s)) for s in sequences], device=device)
        attention = torch.tensor(
            [[1] * len(s) + [0] * (width - len(s)) for s in sequences], device=device
        )
        self.forward_calls += 1
        return self.transformer(
            input_ids=input_ids, attention_mask=attention, output_hidden_states=self.causal
        )

    # -- acting and learning -----------------------------------------------------------------

    @torch.no_grad()
    def step_outputs(
        self, observations: list[dict[str, Any]], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked action logits and values of each episode's prefix, for acting.

        Episodes are known by their info's ``episode_id``; ``info["tokens"]`` holds the words
        read so far (the env refreshes it after every read). A causal backbone extends
        the episode's KV cache with the words read since the last call; an encoder
        re-encodes the prefixes that changed, all in one batch.
        """
        self._check_actions(masks)
        reads = [_words_read(o, i) for o, i in zip(observations, infos)]
        if self._incremental:
            return self._heads(self._batched_states(infos, reads), masks)
        return self._heads(torch.stack(self._reencoded_states(infos, reads)), masks)

    @property
    def _incremental(self) -> bool:
        """Whether acting extends each episode's KV cache word by word (else it re-encodes).

        A causal backbone in read mode does; in whole mode an episode is one step, which a
        batched pass over the texts serves better. Prompt and prefix tuning put virtual
        tokens before the input on every forward pass, which a cache cannot continue.
        """
        return (
            self.causal
            and self.mode == "read"
            and self.peft_spec.method not in VIRTUAL_TOKEN_METHODS
        )

    def evaluate_actions(
        self,
        observations: list[dict[str, Any]],
        infos: list[dict[str, Any]],
        actions: torch.Tensor,
        masks: np.ndarray,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Log-probabilities, entropies and values of taken actions, with gradients.

        For learners: the prefixes the samples need are scored in one batched pass of the
        one-shot path (:meth:`prefix_states`); a causal backbone reads each distinct episode
        (its reset info's ``episode_id``) once, up to its longest prefix, whatever its number
        of steps.
        """
        self._check_actions(masks)
        # Each episode's words as far as any of its steps read them.
        read_by_episode: dict[int, tuple[str, ...]] = {}
        for info in infos:
            words = tuple(info["tokens"])
            known = read_by_episode.setdefault(episode_id(info), words)
            if len(words) > len(known):  # a later step has read more
                read_by_episode[episode_id(info)] = words
        # Episodes that read the same words (a group's k samples of one text, in whole
        # mode) share one row: a prefix's state depends on its words only.
        rows: dict[tuple[str, ...], int] = {}
        wanted: list[dict[int, int]] = []  # per row: prefix length -> its order
        keys: list[tuple[int, int]] = []  # per sample: (row, prefix length)
        for observation, info in zip(observations, infos):
            words = read_by_episode[episode_id(info)]
            row = rows.setdefault(words, len(rows))
            if row == len(wanted):
                wanted.append({})
            read = _words_read(observation, info)
            wanted[row].setdefault(read, len(wanted[row]))
            keys.append((row, read))
        row_words = list(rows)
        recorded = self._recorded
        prefixes = [row_words[row][:read] for row, read in keys] if recorded else []
        if prefixes and recorded and all(prefix in recorded for prefix in prefixes):
            chosen = torch.stack([recorded[prefix] for prefix in prefixes])
            recorded.clear()  # one use: the next call follows an optimizer step
        else:
            starts = np.cumsum([0] + [len(w) for w in wanted])
            texts = [list(words) for words in row_words]
            states = self.prefix_states(texts, [list(w) for w in wanted])
            index = torch.tensor([int(starts[row]) + wanted[row][read] for row, read in keys])
            chosen = states[index.to(states.device)]
        logits, values = self._heads(chosen, masks)
        distribution = torch.distributions.Categorical(logits=logits.float())
        actions = actions.to(logits.device)
        return distribution.log_prob(actions), distribution.entropy(), values

    def _heads(self, states: torch.Tensor, masks: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Masked action logits and values of prefix states."""
        logits = self.action_head(states)
        valid = torch.as_tensor(np.asarray(masks, dtype=bool), device=logits.device)
        return logits.masked_fill(~valid, float("-inf")), self.value_head(states).squeeze(-1)

    def _check_actions(self, masks: np.ndarray) -> None:
        if masks.shape[-1] != self.action_head.out_features:
            raise InputError(
                f"the env has {masks.shape[-1]} actions but this policy has "
                f"{self.action_head.out_features} ({self.mode} mode, {len(self.label_names)} "
                f"classes): build it with the env's label_names and mode"
            )

    def _batched_states(self, infos: list[dict[str, Any]], reads: list[int]) -> torch.Tensor:
        """Each slot's causal prefix state, from the slots' shared KV cache.

        Every slot's words read since the last call are fed in one batched forward pass
        (:class:`~agents.policies.kv_batch.BatchedContexts`); a new episode starts its row
        afresh.
        """
        pad = self.tokenizer.pad_token_id
        rows = episode_rows(self._batch, pad, self.device, track_means=self.prefix_mean)
        restart = rows.start([episode_id(info) for info in infos])
        tokens = []
        for info, read, done in zip(infos, reads, rows.progress):
            words = list(info["tokens"][done:read])
            pieces = self.word_ids(words, first=done) if words else []
            tokens.append([t for piece in pieces for t in piece])
        read_so_far = [max(done, read) for done, read in zip(rows.progress, reads)]
        self.forward_calls += rows.feed(self.transformer, tokens, restart, read_so_far)
        contexts = rows.contexts
        states = contexts.mean_states if self.prefix_mean else contexts.states
        assert states is not None
        return states

    def _reencoded_states(
        self, infos: list[dict[str, Any]], reads: list[int]
    ) -> list[torch.Tensor]:
        """Each slot's prefix state, encoding (in one batch) only those not already cached.

        In whole mode, within :meth:`reusing_acting_forward`, the encodings keep their graph
        for the learner's ``evaluate_actions`` (read mode would keep one per step).
        """
        stale = [
            slot
            for slot, (info, read) in enumerate(zip(infos, reads))
            if (episode := self._episodes.get(slot)) is None
            or episode["episode"] != episode_id(info)
            or episode["read"] != read
        ]
        if stale:
            # Slots at the same words (a group's samples of one text) are encoded once.
            prefixes = {tuple(infos[slot]["tokens"][: reads[slot]]): None for slot in stale}
            texts, lengths = [list(p) for p in prefixes], [[len(p)] for p in prefixes]
            recorded = self._recorded if self.mode == "whole" else None
            if recorded is None:
                encoded = self.prefix_states(texts, lengths)
            else:  # keep the graph for the learner (see reusing_acting_forward)
                with torch.enable_grad():  # rows taken here keep the graph too
                    encoded = self.prefix_states(texts, lengths)
                    recorded.update(zip(prefixes, encoded))
                encoded = encoded.detach()
            by_prefix = dict(zip(prefixes, encoded))
            for slot in stale:
                self._episodes[slot] = {
                    "episode": episode_id(infos[slot]),
                    "read": reads[slot],
                    "state": by_prefix[tuple(infos[slot]["tokens"][: reads[slot]])],
                }
        return [self._episodes[slot]["state"] for slot in range(len(infos))]

    def check_env(self, env: gym.Env) -> None:
        """Fail clearly if ``env``'s classes or mode are not this policy's."""
        unwrapped = env.unwrapped
        if tuple(getattr(unwrapped, "label_names", ())) != self.label_names or (
            getattr(unwrapped, "mode", None) != self.mode
        ):
            raise InputError(
                f"this policy was built for classes {self.label_names} in {self.mode} mode, "
                f"the env has {getattr(unwrapped, 'label_names', None)} in "
                f"{getattr(unwrapped, 'mode', None)} mode"
            )

    @torch.no_grad()
    def predict(self, texts: list[str]) -> list[str]:
        """The class of each whole text (the deployment step)."""
        words = [word_tokenize(t) for t in texts]
        logits, _ = self.forward_prefixes(words, [[len(w)] for w in words])
        answers = logits[:, 1:] if self.mode == "read" else logits
        return [self.label_names[int(i)] for i in answers.argmax(-1).tolist()]


def _words_read(observation: dict[str, Any], info: dict[str, Any]) -> int:
    """How many words the observed prefix has (at least one: an empty prefix has no state)."""
    return max(1, min(int(observation["position"]), len(info["tokens"])))
