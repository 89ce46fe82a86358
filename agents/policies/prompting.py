"""Prompt baselines: classify a text by the likelihood a causal LM gives each label.

No training: a zero-shot prompt, or k labelled training texts put before the text (k-shot,
in-context learning). Each class's label word is scored after the prompt, and the most
likely class is the answer. The baseline every fine-tuned classifier should beat::

    env = gym.make("TextClassification-v0")
    agent = PromptClassifier.from_env(env, load_backbone("smollm2"), k=4)
    evaluate(agent, "TextClassification-v0", split="test")

In ``textenvs bench``: ``prompt-zero-shot`` and ``prompt-4-shot`` (with ``--backbone``
naming a causal LM, else SmolLM2-135M-Instruct).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.common.protocol import BaseAgent
from agents.policies.backbones import Backbone
from agents.policies.kv_batch import cache_keyword, output_cache, pad_rows
from textenvs.errors import InputError

TEMPLATE = "Text: {text}\nLabel:"
"""How a text is shown; in k-shot prompts each example is followed by its label word."""
INSTRUCTION = "Classify each text as one of: {labels}.\n\n"


class PromptClassifier(BaseAgent):
    """Answer the class whose label word the LM finds most likely after the prompt.

    Args:
        backbone: a causal LM (``load_backbone("smollm2")``).
        label_names: the env's classes, in answer order (``env.unwrapped.label_names``).
        examples: ``(text, class index)`` pairs shown before the text (k-shot); none for
            zero-shot.
        label_words: the word standing for each class (default: its name, ``_`` as space).

    In read mode it reads every visible word, then answers; in whole mode it answers at once.
    """

    def __init__(
        self,
        backbone: Backbone,
        label_names: Sequence[str],
        examples: Sequence[tuple[str, int]] = (),
        label_words: Sequence[str] | None = None,
    ) -> None:
        if backbone.kind != "causal":
            raise InputError(f"a PromptClassifier needs a causal LM, got a {backbone.kind}")
        self.model, self.tokenizer = backbone.model.eval(), backbone.tokenizer
        self.label_names = list(label_names)
        self.label_words = list(label_words or [n.replace("_", " ") for n in label_names])
        if len(self.label_words) != len(self.label_names):
            raise InputError(
                f"{len(self.label_words)} label words for {len(self.label_names)} classes"
            )
        shots = "".join(
            TEMPLATE.format(text=text) + f" {self.label_words[label]}\n\n"
            for text, label in examples
        )
        self.prefix = INSTRUCTION.format(labels=", ".join(self.label_words)) + shots
        self.candidates = [
            self.tokenizer(" " + word, add_special_tokens=False)["input_ids"]
            for word in self.label_words
        ]
        self._prefix: tuple[list[int], Any] | None = None

    @classmethod
    def from_env(
        cls, env: gym.Env, backbone: Backbone, k: int = 0, seed: int = 0
    ) -> PromptClassifier:
        """A classifier for ``env``'s classes with ``k`` training texts per prompt.

        The examples are drawn from ``env``'s split with ``seed``, cycling through the
        classes so that each is shown (as far as ``k`` allows).
        """
        corpus = env.unwrapped.corpus
        rng = np.random.default_rng(seed)
        labels = np.asarray(corpus.label_ids)
        by_class = [
            rng.permutation(np.flatnonzero(labels == c)).tolist() for c in range(labels.max() + 1)
        ]
        examples = []
        for i in range(k):
            pool = by_class[i % len(by_class)]
            if pool:
                index = pool.pop()
                examples.append((" ".join(corpus.tokens[index]), int(labels[index])))
        return cls(backbone, env.unwrapped.label_names, examples)

    def class_scores(self, text: str) -> np.ndarray:
        """Log-likelihood of each class's label word after the prompt for ``text``."""
        return self.class_scores_batch([text])[0]

    @torch.no_grad()
    def class_scores_batch(self, texts: Sequence[str], texts_per_pass: int = 32) -> np.ndarray:
        """:meth:`class_scores` of several texts: ``(len(texts), n_classes)``.

        Nothing is encoded twice. The prompt's shared beginning (the instruction and the k
        examples) is encoded once and its KV cache reused for every text. Each text's rest
        is encoded once for all classes, in batched passes of ``texts_per_pass`` texts,
        right-padded (a causal model's real tokens never see the pads after them); its last
        state scores every label word's first token. Label words of several tokens then
        read on from each text's cache, copied once per class. Only the label words'
        positions reach the output layer. A text whose tokens do not start with the
        beginning's (a tokenizer that merges across the boundary) is scored without it.
        """
        contexts = [
            self.tokenizer(self.prefix + TEMPLATE.format(text=t))["input_ids"] for t in texts
        ]
        prefix, cache = self._prefix_cache()
        scores = np.zeros((len(texts), len(self.candidates)))
        shared = [c[: len(prefix)] == prefix and len(c) > len(prefix) for c in contexts]
        for use_cache in (True, False):
            todo = [i for i, ok in enumerate(shared) if ok == use_cache]
            start = len(prefix) if use_cache else 0
            for chunk in range(0, len(todo), texts_per_pass):
                batch = todo[chunk : chunk + texts_per_pass]
                suffixes = [contexts[i][start:] for i in batch]
                scores[batch] = self._score_suffixes(suffixes, cache if use_cache else None, start)
        return scores

    def _prefix_cache(self) -> tuple[list[int], Any]:
        """The prompt's shared beginning as token ids, and its KV cache (computed once)."""
        if self._prefix is None:
            ids = self.tokenizer(self.prefix)["input_ids"]
            output = self.model(input_ids=torch.tensor([ids], device=self.device), use_cache=True)
            self._prefix = (ids, output_cache(output))
        return self._prefix

    def _score_suffixes(self, suffixes: list[list[int]], cache: Any, start: int) -> np.ndarray:
        """Label-word log-likelihoods after each suffix (following ``start`` cached tokens)."""
        n_classes = len(self.candidates)
        ids, attention = pad_rows(suffixes, self.tokenizer.pad_token_id or 0)
        if cache is not None:
            cache = copy.deepcopy(cache)
            cache.batch_repeat_interleave(len(suffixes))
        attention = torch.cat(
            [torch.ones(len(suffixes), start, dtype=attention.dtype), attention], 1
        )
        hidden, cache = self._run(ids, attention, start, cache)
        ends = torch.tensor([len(s) - 1 for s in suffixes])
        first = self._logprobs(hidden[torch.arange(len(suffixes)), ends.to(hidden.device)])
        scores = first[:, [c[0] for c in self.candidates]]  # (texts, classes)
        rest = max(len(c) for c in self.candidates) - 1
        if rest:  # label words' later tokens: each text's cache, one row per class
            cache.batch_repeat_interleave(n_classes)
            inputs = [c[:-1] for c in self.candidates] * len(suffixes)
            more_ids, more_attention = pad_rows(inputs, self.tokenizer.pad_token_id or 0)
            attention = torch.cat([attention.repeat_interleave(n_classes, 0), more_attention], 1)
            lengths = (start + torch.tensor([len(s) for s in suffixes])).repeat_interleave(
                n_classes
            )
            more, _ = self._run(more_ids, attention, lengths[:, None], cache)
            logprobs = self._logprobs(more.reshape(-1, more.shape[-1])).view(*more.shape[:2], -1)
            for c, candidate in enumerate(self.candidates):
                for j, token in enumerate(candidate[1:]):
                    scores[:, c] += logprobs[c::n_classes, j, token]
        return scores.cpu().numpy()

    def _run(
        self, ids: torch.Tensor, attention: torch.Tensor, start: Any, cache: Any
    ) -> tuple[torch.Tensor, Any]:
        """The last hidden states of ``ids`` placed after ``start`` cached tokens, and the cache."""
        device = self.device
        arguments = {cache_keyword(self.model): cache} if cache is not None else {}
        output = self.model.base_model(
            input_ids=ids.to(device),
            attention_mask=attention.to(device),
            position_ids=(start + torch.arange(ids.shape[1]).expand(len(ids), -1)).to(device),
            use_cache=True,
            **arguments,
        )
        return output.last_hidden_state, output_cache(output)

    def _logprobs(self, states: torch.Tensor) -> torch.Tensor:
        """Next-token log-probabilities from last hidden states."""
        return self.model.get_output_embeddings()(states).float().log_softmax(-1)

    @property
    def device(self) -> torch.device:
        """Where the model is."""
        return next(self.model.parameters()).device

    def act(self, observation: Any, info: dict[str, Any], mask: np.ndarray) -> int:
        """Read on while reading is allowed (read mode), then answer the likeliest class."""
        return self.act_batch([observation], [info], np.asarray(mask)[None])[0]

    def act_batch(
        self, observations: Sequence[Any], infos: Sequence[dict[str, Any]], masks: np.ndarray
    ) -> np.ndarray:
        """:meth:`act` for a batch: the texts that answer now are scored together."""
        masks = np.asarray(masks)
        offset = masks.shape[-1] - len(self.label_names)  # 1 in read mode (action 0 reads)
        actions = np.zeros(len(infos), dtype=np.int64)
        answering = [i for i in range(len(infos)) if not (offset and masks[i, 0])]
        if answering:
            texts = [" ".join(infos[i]["tokens"]) for i in answering]
            actions[answering] = offset + self.class_scores_batch(texts).argmax(-1)
        return actions
