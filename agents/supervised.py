"""The supervised baseline: cross-entropy on the gold actions, same policy and PEFT head.

The comparison every user wants: RL against supervised fine-tuning, at the same budget.
Unlike the RL learners it reads the gold tags of the training records (that is the point).
It is a learner like the others (one ``update()`` per batch), so the training loop's
evaluation, early stopping, checkpoints and time budget apply to it unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from agents.learner import Learner, LearnerConfig
from agents.tagging_policy import TaggingPolicy
from textenvs.data.records import TaggedSentence


@dataclass
class SupervisedConfig(LearnerConfig):
    """Supervised fine-tuning settings; every field says what it does.

    ``updates`` is ignored: a run lasts ``epochs`` passes of ``batch_size`` records.
    """

    epochs: int = field(default=1, metadata={"help": "passes over the training records"})
    batch_size: int = field(default=32, metadata={"help": "sentences per step"})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")


class SupervisedTagger(Learner):
    """Fit a tagging policy's tag head (and adapter) to gold tags, one batch per update.

    With ``condition_on_previous_tag`` the previous gold tag is fed (teacher forcing).
    """

    resumable = ("rng", "order", "env_steps_done")

    def __init__(
        self,
        policy: TaggingPolicy,
        sentences: list[TaggedSentence],
        config: SupervisedConfig | None = None,
    ) -> None:
        self.config = config = config or SupervisedConfig()
        if not sentences:
            raise ValueError("the supervised baseline needs training sentences, got none")
        index = {tag: i for i, tag in enumerate(policy.tag_names)}
        unknown = {t for s in sentences for t in s.tags} - set(index)
        if unknown:
            raise ValueError(f"gold tags {sorted(unknown)} are not among the policy's tags")
        super().__init__(policy, config)
        self.optimizer = torch.optim.AdamW(self.parameters, lr=config.learning_rate)
        self.sentences, self.tag_index = sentences, index
        self.batches_per_epoch = math.ceil(len(sentences) / config.batch_size)
        self.total_updates = config.epochs * self.batches_per_epoch
        self.rng = np.random.default_rng(config.seed)
        self.order = self.rng.permutation(len(sentences))
        self.env_steps_done = 0

    @property
    def env_steps(self) -> int:
        """Gold actions (words) trained on so far: the supervised counterpart of env steps."""
        return self.env_steps_done

    def update(self) -> dict[str, float]:
        """One cross-entropy step on the next batch (reshuffling at each epoch's start)."""
        policy, config = self.policy, self.config
        epoch, position = divmod(self.updates_done, self.batches_per_epoch)
        if position == 0 and epoch > 0:
            self.order = self.rng.permutation(len(self.sentences))
        start = position * config.batch_size
        batch = [self.sentences[i] for i in self.order[start : start + config.batch_size]]
        width = max(len(s) for s in batch)
        gold = torch.full((len(batch), width), -100, dtype=torch.long)
        for row, sentence in enumerate(batch):
            gold[row, : len(sentence)] = torch.tensor([self.tag_index[t] for t in sentence.tags])
        previous = None
        if policy.previous_tag is not None:
            previous = torch.cat([torch.full((len(batch), 1), -1), gold[:, :-1]], dim=1)
            previous = previous.clamp(min=-1).masked_fill(previous == -100, -1)
            previous = previous.to(policy.device)
        logits, _, _ = policy.forward_words([list(s.words) for s in batch], previous)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            gold.to(logits.device).reshape(-1),
            ignore_index=-100,
        )
        self.step(loss)
        self.updates_done += 1
        self.env_steps_done += sum(len(s) for s in batch)
        return {
            "update": self.updates_done,
            "epoch": epoch,
            "loss": loss.item(),
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "env_steps": self.env_steps_done,
        }

    def learn(self) -> list[dict[str, float]]:
        """Run the remaining updates of all ``epochs``; one log row per batch."""
        return [self.update() for _ in range(self.updates_done, self.total_updates)]


def train_supervised_tagger(
    policy: TaggingPolicy, sentences: list[TaggedSentence], config: SupervisedConfig | None = None
) -> list[dict[str, float]]:
    """Fit ``policy`` to the gold tags of ``sentences``; one log row per step."""
    return SupervisedTagger(policy, sentences, config).learn()
