"""The supervised baseline: cross-entropy on the gold actions, same policy and PEFT head.

The comparison every user wants: RL against supervised fine-tuning, at the same budget.
Unlike the RL learners it reads the gold tags of the training records (that is the point).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from agents.optim import gradient_step
from agents.tagging_policy import TaggingPolicy
from textenvs.data.records import TaggedSentence


@dataclass
class SupervisedConfig:
    """Supervised fine-tuning settings; every field says what it does."""

    epochs: int = field(default=1, metadata={"help": "passes over the training records"})
    batch_size: int = field(default=32, metadata={"help": "sentences per step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "AdamW learning rate"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping norm"})
    seed: int = field(default=0, metadata={"help": "seed of the shuffling"})

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")


def train_supervised_tagger(
    policy: TaggingPolicy, sentences: list[TaggedSentence], config: SupervisedConfig | None = None
) -> list[dict[str, float]]:
    """Fit a tagging policy's tag head (and adapter) to gold tags; one log row per step.

    With ``condition_on_previous_tag`` the previous gold tag is fed (teacher forcing).
    """
    config = config or SupervisedConfig()
    index = {tag: i for i, tag in enumerate(policy.tag_names)}
    unknown = {t for s in sentences for t in s.tags} - set(index)
    if unknown:
        raise ValueError(f"gold tags {sorted(unknown)} are not among the policy's tags")
    rng = np.random.default_rng(config.seed)
    parameters = [p for p in policy.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate)
    log = []
    for epoch in range(config.epochs):
        order = rng.permutation(len(sentences))
        for start in range(0, len(order), config.batch_size):
            batch = [sentences[i] for i in order[start : start + config.batch_size]]
            width = max(len(s) for s in batch)
            gold = torch.full((len(batch), width), -100, dtype=torch.long)
            for row, sentence in enumerate(batch):
                gold[row, : len(sentence)] = torch.tensor([index[t] for t in sentence.tags])
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
            gradient_step(loss, optimizer, parameters, config.max_grad_norm, f"epoch {epoch}")
            log.append({"epoch": epoch, "step": len(log), "loss": loss.item()})
    return log
