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

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.common.protocol import BaseAgent
from agents.policies.backbones import Backbone
from agents.policies.kv_batch import pad_rows
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

    @torch.no_grad()
    def class_scores(self, text: str) -> np.ndarray:
        """Log-likelihood of each class's label word after the prompt for ``text``."""
        context = self.tokenizer(self.prefix + TEMPLATE.format(text=text))["input_ids"]
        sequences = [context + candidate for candidate in self.candidates]
        ids, attention = pad_rows(sequences, self.tokenizer.pad_token_id or 0)
        device = next(self.model.parameters()).device
        logits = self.model(input_ids=ids.to(device), attention_mask=attention.to(device)).logits
        logprobs = logits.float().log_softmax(-1)
        scores = []
        for row, candidate in enumerate(self.candidates):
            positions = torch.arange(len(context) - 1, len(context) - 1 + len(candidate))
            tokens = torch.tensor(candidate, device=device)
            scores.append(float(logprobs[row, positions.to(device), tokens].sum()))
        return np.array(scores)

    def act(self, observation: Any, info: dict[str, Any], mask: np.ndarray) -> int:
        """Read on while reading is allowed (read mode), then answer the likeliest class."""
        offset = len(mask) - len(self.label_names)  # 1 in read mode (action 0 reads)
        if offset and mask[0]:
            return 0
        return offset + int(np.argmax(self.class_scores(" ".join(info["tokens"]))))
