"""The supervised baselines: cross-entropy on the gold actions, same policy and PEFT head.

The comparison every user wants: RL against supervised fine-tuning, at the same budget.
Unlike the RL learners they read the gold answers of the training records (that is the
point). They are learners like the others (one ``update()`` per batch), so the training
loop's evaluation, early stopping, checkpoints and time budget apply to them unchanged.

* :class:`SupervisedTagger`: the gold tag of every word (teacher forcing of the previous
  tag for policies conditioned on it).
* :class:`SupervisedClassifier`: the gold action sequence of a text, read every visible word
  and then answer its label (in ``mode="whole"``: answer at once).
* :class:`SupervisedGenerator`: teacher-forced cross-entropy of the reference completions
  (each token given the prompt and the reference's tokens before it), then EOS.

With ``kl_coef > 0`` the tagger and the classifier add ``kl_coef`` times the mean
KL(policy || reference) of their action distributions on the batch, the reference being the
policy with its adapter disabled: for a run started from another (``init_from``), that
starting policy, heads included. Re-fine-tuning on new data then keeps close to what was
learned before (a forgetting control; ``benchmarks/continual.py`` measures it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.nn.functional import cross_entropy

from agents.learners.base import Learner, LearnerConfig
from agents.policies.tagging import TaggingPolicy
from textenvs.data.records import GenerationExample, TaggedSentence
from textenvs.errors import InputError


@dataclass
class SupervisedConfig(LearnerConfig):
    """Supervised fine-tuning settings; every field says what it does.

    ``updates`` is ignored: a run lasts ``epochs`` passes of ``batch_size`` records.
    """

    epochs: int = field(default=1, metadata={"help": "passes over the training records"})
    batch_size: int = field(default=32, metadata={"help": "records per step"})
    prefix_answers: bool = field(
        default=False,
        metadata={
            "help": "classification in read mode: also train the answer at every prefix (the "
            "gold class among the classes, the read action left out), so the policy can "
            "answer early; a start for read-or-decide RL"
        },
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_at_least_one("epochs", "batch_size")


class SupervisedLearner(Learner):
    """Shuffled mini-batches of the training records, one AdamW step per batch.

    With N data-parallel processes, ``batch_size`` is the global batch: each process takes
    every N-th record of it, and the gradients are averaged.

    Subclasses implement :meth:`batch_loss`.
    """

    resumable = ("rng", "order", "env_steps_done")
    optimizer_class = torch.optim.AdamW
    config: SupervisedConfig
    takes_prefix_answers = False  # the classifier's option (see SupervisedConfig)

    def __init__(self, policy: Any, size: int, config: SupervisedConfig | None) -> None:
        self.config = config = config or SupervisedConfig()
        if size == 0:
            raise InputError("the supervised baseline needs training records, got none")
        if config.prefix_answers and not self.takes_prefix_answers:
            raise InputError(
                f"prefix_answers: {type(self).__name__} has no answer per prefix (it is for "
                f"the classifier in read mode)"
            )
        if config.kl_coef > 0:
            if config.kl_target is not None:
                raise InputError("kl_target adapts an RL penalty; a supervised run takes kl_coef")
            with policy.reference():  # fails clearly if there is no adapter to disable
                pass
        super().__init__(policy, config)
        self.size = size
        self.batches_per_epoch = math.ceil(size / config.batch_size)
        self.total_updates = config.epochs * self.batches_per_epoch
        self.rng = np.random.default_rng(config.seed)
        self.order = self.rng.permutation(size)
        self.env_steps_done = 0

    @property
    def env_steps(self) -> int:
        """Gold actions trained on so far: the supervised counterpart of env steps."""
        return self.env_steps_done

    def batch_loss(self, indices: list[int]) -> tuple[torch.Tensor, int]:
        """The loss of the records ``indices`` and the number of gold actions in them."""
        raise NotImplementedError

    def update(self) -> dict[str, float]:
        """One cross-entropy step on the next batch (reshuffling at each epoch's start)."""
        epoch, position = divmod(self.updates_done, self.batches_per_epoch)
        if position == 0 and epoch > 0:
            self.order = self.rng.permutation(self.size)
        start = position * self.config.batch_size
        batch = self.order[start : start + self.config.batch_size]
        # Data-parallel: every process shuffles alike and takes its slice of the batch.
        mine = batch[self.distributed.rank :: self.distributed.world_size].tolist()
        loss, actions = self.batch_loss(mine) if mine else (None, 0)
        scaled = loss
        if self.distributed.enabled:
            # Weigh each process's mean by its share of the batch's gold actions, so that
            # the averaged gradient is the whole batch's, as in one process.
            total = self.distributed.sum(actions)
            scaled = (
                None if loss is None else loss * (actions * self.distributed.world_size / total)
            )
        self.step(scaled)
        self.updates_done += 1
        self.env_steps_done += actions
        return {
            "update": self.updates_done,
            "epoch": epoch,
            "loss": loss.item() if loss is not None else math.nan,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "env_steps": self.env_steps_done,
        }

    def learn(self) -> list[dict[str, float]]:
        """Run the remaining updates of all ``epochs``; one log row per batch."""
        return [self.update() for _ in range(self.updates_done, self.total_updates)]


class SupervisedTagger(SupervisedLearner):
    """Fit a tagging policy's tag head (and adapter) to gold tags."""

    def __init__(
        self,
        policy: TaggingPolicy,
        sentences: list[TaggedSentence],
        config: SupervisedConfig | None = None,
    ) -> None:
        index = {tag: i for i, tag in enumerate(policy.tag_names)}
        unknown = {t for s in sentences for t in s.tags} - set(index)
        if unknown:
            raise InputError(f"gold tags {sorted(unknown)} are not among the policy's tags")
        super().__init__(policy, len(sentences), config)
        self.sentences, self.tag_index = sentences, index

    def batch_loss(self, indices: list[int]) -> tuple[torch.Tensor, int]:
        """Cross-entropy of every word's gold tag."""
        policy = self.policy
        batch = [self.sentences[i] for i in indices]
        width = max(len(s) for s in batch)
        gold = torch.full((len(batch), width), -100, dtype=torch.long)
        for row, sentence in enumerate(batch):
            gold[row, : len(sentence)] = torch.tensor([self.tag_index[t] for t in sentence.tags])
        previous = None
        if policy.previous_tag is not None:
            previous = torch.cat([torch.full((len(batch), 1), -1), gold[:, :-1]], dim=1)
            previous = previous.clamp(min=-1).masked_fill(previous == -100, -1)
            previous = previous.to(policy.device)
        words = [list(s.words) for s in batch]
        logits, _, mask = policy.forward_words(words, previous)
        loss = cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            gold.to(logits.device).reshape(-1),
            ignore_index=-100,
        )
        if self.config.kl_coef > 0:
            with torch.no_grad(), policy.reference():
                reference, _, _ = policy.forward_words(words, previous)
            loss = loss + self.config.kl_coef * mean_kl(logits[mask], reference[mask])
        return loss, sum(len(s) for s in batch)


class SupervisedClassifier(SupervisedLearner):
    """Fit a classification policy to read every visible word, then answer the gold label.

    With ``prefix_answers`` (read mode), each prefix also trains the answer among the
    classes (cross-entropy of the class logits alone, the read action left out): the
    policy still reads to the end, and an RL stage with a read cost starts from answers
    that are already good early.

    Args:
        policy: a :class:`agents.policies.classification.ClassificationPolicy`.
        texts: each training text's visible words (the env's ``corpus.tokens``, cut at
            ``corpus.visible``).
        labels: each text's gold class index (``corpus.label_ids``).
        config: the settings.
    """

    takes_prefix_answers = True

    def __init__(
        self,
        policy: Any,
        texts: list[list[str]],
        labels: list[int],
        config: SupervisedConfig | None = None,
    ) -> None:
        if len(texts) != len(labels):
            raise InputError(f"{len(texts)} texts but {len(labels)} labels")
        super().__init__(policy, len(texts), config)
        self.texts, self.labels = texts, labels
        self.read_mode = policy.mode == "read"
        if self.config.prefix_answers and not self.read_mode:
            raise InputError("prefix_answers: a whole-mode policy answers only whole texts")

    def batch_loss(self, indices: list[int]) -> tuple[torch.Tensor, int]:
        """Answer cross-entropy at the whole text, plus (read mode) "read on" before it."""
        texts = [self.texts[i] for i in indices]
        offset = 1 if self.read_mode else 0  # action 0 is "read the next word"
        answers = torch.tensor([self.labels[i] + offset for i in indices])
        if not self.read_mode:
            lengths = [[len(t)] for t in texts]
            logits, _ = self.policy.forward_prefixes(texts, lengths)
            loss = cross_entropy(logits, answers.to(logits.device))
            return loss + self._kl(logits, texts, lengths), len(texts)
        lengths = [list(range(1, len(t) + 1)) for t in texts]
        logits, _ = self.policy.forward_prefixes(texts, lengths)
        ends = torch.tensor(np.cumsum([len(t) for t in texts]) - 1)
        is_end = torch.zeros(len(logits), dtype=torch.bool)
        is_end[ends] = True
        loss = cross_entropy(logits[ends.to(logits.device)], answers.to(logits.device))
        if (~is_end).any():  # every earlier prefix: read on
            reads = logits[(~is_end).to(logits.device)]
            loss = loss + cross_entropy(
                reads, torch.zeros(len(reads), dtype=torch.long, device=reads.device)
            )
        if self.config.prefix_answers:  # every prefix: the gold class, among the classes
            per_prefix = torch.repeat_interleave(answers - 1, torch.tensor([len(t) for t in texts]))
            loss = loss + cross_entropy(logits[:, 1:], per_prefix.to(logits.device))
        return loss + self._kl(logits, texts, lengths), len(logits)

    def _kl(self, logits: torch.Tensor, texts: list[list[str]], lengths: list[list[int]]) -> Any:
        """``kl_coef`` times the mean KL to the reference at the same prefixes (0 if off)."""
        if self.config.kl_coef <= 0:
            return 0.0
        with torch.no_grad(), self.policy.reference():
            reference, _ = self.policy.forward_prefixes(texts, lengths)
        return self.config.kl_coef * mean_kl(logits, reference)


class SupervisedGenerator(SupervisedLearner):
    """Fit a generative policy to the reference completions (supervised fine-tuning, SFT).

    Every reference of every example is a training record: the prompt (in the policy's
    template) followed by :meth:`GenerativePolicy.target_ids` of the reference. The loss is
    the mean cross-entropy of the reference's tokens; the value head is not trained.

    Args:
        policy: a :class:`agents.policies.generative.GenerativePolicy`.
        examples: the training split's examples (the env's ``corpus.examples``).
        config: the settings.
    """

    def __init__(
        self,
        policy: Any,
        examples: list[GenerationExample],
        config: SupervisedConfig | None = None,
    ) -> None:
        if config is not None and config.kl_coef > 0:
            raise InputError(
                "kl_coef: the supervised generator has no KL term (the tagger and the "
                "classifier have); RL learners on generation envs take it"
            )
        pairs = [(e.prompt, ref) for e in examples for ref in e.references if ref.strip()]
        super().__init__(policy, len(pairs), config)
        self.prompts = [prompt for prompt, _ in pairs]
        self.targets = [policy.target_ids(reference) for _, reference in pairs]

    def batch_loss(self, indices: list[int]) -> tuple[torch.Tensor, int]:
        """Mean cross-entropy of the references' tokens, given the prompts."""
        logprobs, _, mask = self.policy.sequence_logprobs(
            [self.prompts[i] for i in indices], [self.targets[i] for i in indices]
        )
        return -logprobs[mask].mean(), int(mask.sum())


def mean_kl(logits: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Mean over rows of KL(softmax(logits) || softmax(reference)); ``-inf`` logits allowed."""
    log_p = torch.log_softmax(logits.float(), -1)
    log_q = torch.log_softmax(reference.float(), -1)
    terms = log_p.exp() * (log_p - log_q)
    return torch.where(log_p.isfinite(), terms, 0.0).sum(-1).mean()


def train_supervised_tagger(
    policy: TaggingPolicy, sentences: list[TaggedSentence], config: SupervisedConfig | None = None
) -> list[dict[str, float]]:
    """Fit ``policy`` to the gold tags of ``sentences``; one log row per step."""
    return SupervisedTagger(policy, sentences, config).learn()
