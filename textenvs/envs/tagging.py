"""The encoded corpus and IOB tables shared by the tagging environments.

A :class:`TaggingCorpus` turns tagged sentences into the padded integer arrays that the
single and the vectorized environment both step over, and :class:`IOBTables` holds, per pair
(previous tag, tag), whether the tag continues an entity: the rule from which action masks,
entity counts and rewards all follow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from textenvs.data.files import check_names
from textenvs.data.loaders import load_builtin_ner
from textenvs.data.records import TaggedSentence
from textenvs.data.tags import (
    allowed_after,
    continues_entity,
    entity_types_of,
    split_tag,
    tag_names_for,
)
from textenvs.data.vocab import PAD_ID, Vocabulary
from textenvs.envs.datasets import check_max_length, resolve_split
from textenvs.errors import InputError

DatasetArg = str | Mapping[str, Sequence[TaggedSentence]] | Sequence[TaggedSentence] | None
"""What an env's ``dataset=`` accepts: ``None``/``"builtin"``, a split mapping, or records."""


class IOBTables:
    """Entity bookkeeping of a tagged prefix as a finite-state machine over tag ids.

    Scoring a prefix needs, besides the counts of predicted and gold entities, only three
    facts: the entity type the previous predicted tag and the previous gold tag belong to
    (an ``I-X`` continues an entity only after ``B-X``/``I-X``, as seqeval reads it), and
    whether the predicted and the gold entity open at the last word started at the same
    word with the same type ("aligned"). Those facts form a small state; for every (state,
    predicted tag, gold tag) the tables give the next state and the count increments. The
    single env looks them up with Python lists, the vector env with numpy gathers: one
    definition of the rules serves both.

    A state is ``(pred_type * (n_types + 1) + gold_type) * 2 + aligned``, types counted
    from 1 (0 = no entity: ``O`` or the start of the sentence). State 0 starts a sentence.

    Attributes:
        n_tags: number of tags.
        n_states: number of states.
        next_state: ``next_state[transition(state, pred, gold)]``, the state after a step.
        deltas: ``(3, n_transitions)`` increments of (entities found exactly and closed,
            predicted entities, gold entities).
        valid: ``valid[state]``, bool mask of the tags that keep the prediction valid IOB2.
    """

    def __init__(self, tag_names: Sequence[str]) -> None:
        parsed = [split_tag(tag) for tag in tag_names]
        types = sorted({entity_type for _, entity_type in parsed if entity_type})
        n_tags, n_types = len(tag_names), len(types) + 1
        tag_type = np.array([types.index(t) + 1 if t else 0 for _, t in parsed])
        # The IOB rule (textenvs.data.tags) per (type of the previous tag, tag); type 0 is
        # O or the start of a sentence, type t > 0 stands for a previous B-t or I-t.
        previous = [None, *(f"B-{t}" for t in types)]
        continues = np.array([[continues_entity(tag, p) for tag in tag_names] for p in previous])
        allowed = np.array([[allowed_after(tag, p) for tag in tag_names] for p in previous])
        self.n_tags = n_tags
        self.n_states = n_types * n_types * 2

        # Axes: pred type before, gold type before, aligned before, pred tag, gold tag.
        pred_prev, gold_prev, was_aligned, pred, gold = np.meshgrid(
            np.arange(n_types),
            np.arange(n_types),
            [False, True],
            np.arange(n_tags),
            np.arange(n_tags),
            indexing="ij",
        )
        pred_continues = continues[pred_prev, pred]
        gold_continues = continues[gold_prev, gold]
        pred_opens = (tag_type[pred] > 0) & ~pred_continues
        gold_opens = (tag_type[gold] > 0) & ~gold_continues
        closes_matched = was_aligned & ~pred_continues & ~gold_continues
        aligned = (pred_opens & gold_opens & (tag_type[pred] == tag_type[gold])) | (
            was_aligned & pred_continues & gold_continues
        )
        next_state = (tag_type[pred] * n_types + tag_type[gold]) * 2 + aligned
        self.next_state = next_state.reshape(-1).astype(np.int64)
        self.deltas = (
            np.stack([closes_matched, pred_opens, gold_opens]).reshape(3, -1).astype(np.int64)
        )
        state_pred_type = np.arange(self.n_states) // (2 * n_types)
        self.valid = allowed[state_pred_type]
        # Python lists for the single env, where list indexing beats numpy scalars.
        self.next_state_list: list[int] = self.next_state.tolist()
        self.deltas_list: list[tuple[int, int, int]] = list(map(tuple, self.deltas.T.tolist()))

    def transition(self, state: Any, pred: Any, gold: Any) -> Any:
        """The index into ``next_state``/``deltas`` of a step (ints or int arrays)."""
        return (state * self.n_tags + pred) * self.n_tags + gold


@dataclass(frozen=True)
class TaggingCorpus:
    """One split of a tagged dataset, encoded for an environment.

    Attributes:
        sentences: the split's records.
        tag_names: the tags in action order.
        vocab: the word vocabulary (built from the training split).
        max_length: the observation length; longer sentences are truncated to it.
        word_ids: ``(n_sentences, max_length)`` word ids, ``PAD_ID`` past the end.
        attention_mask: ``(n_sentences, max_length)`` int8, 1 for the kept words.
        gold_ids: ``(n_sentences, max_length)`` gold tag ids, 0 past the end.
        steps: ``(n_sentences,)`` steps per episode: ``min(len(sentence), max_length)``.
        truncated: ``(n_sentences,)`` bool, True for sentences longer than ``max_length``.
        tables: the IOB lookup tables for ``tag_names``.
    """

    sentences: tuple[TaggedSentence, ...]
    tag_names: tuple[str, ...]
    vocab: Vocabulary
    max_length: int
    word_ids: np.ndarray
    attention_mask: np.ndarray
    gold_ids: np.ndarray
    steps: np.ndarray
    truncated: np.ndarray
    tables: IOBTables

    @classmethod
    def build(
        cls,
        dataset: DatasetArg = None,
        split: str = "train",
        *,
        vocab: Vocabulary | None = None,
        tag_names: Sequence[str] | None = None,
        max_length: int = 64,
    ) -> TaggingCorpus:
        """Resolve the ``dataset``/``split`` arguments of an env and encode the split.

        Args:
            dataset: ``None`` or ``"builtin"`` for the built-in NER corpus; a mapping from
                split name to records; or a sequence of records (used whatever ``split`` is).
            split: the split to encode, when ``dataset`` has splits.
            vocab: a vocabulary to reuse; by default one is built from the ``"train"``
                split if there is one, else from the records themselves.
            tag_names: the tags in action order; by default ``O`` then ``B-X``, ``I-X`` for
                each entity type found in all splits, types sorted by name.
            max_length: observation length (words); longer sentences are truncated.

        Raises:
            ValueError: an unknown split or dataset, a bad ``max_length``, a tag missing from
                ``tag_names``.
        """
        check_max_length(max_length)
        resolved = resolve_split(dataset, split, TaggedSentence, {"builtin": load_builtin_ner})
        records = resolved.records
        if tag_names is None:
            tag_names = tag_names_for(entity_types_of(s.tags for s in resolved.all_records))
        tag_names = check_names(tag_names, "tag_names")
        tag_index = {tag: i for i, tag in enumerate(tag_names)}
        if vocab is None:
            vocab = Vocabulary.from_sentences(s.words for s in resolved.vocab_source)

        n = len(records)
        word_ids = np.full((n, max_length), PAD_ID, dtype=np.int64)
        gold_ids = np.zeros((n, max_length), dtype=np.int64)
        lengths = np.array([len(s) for s in records], dtype=np.int64)
        steps = np.minimum(lengths, max_length)
        for row, sentence in enumerate(records):
            kept = int(steps[row])
            word_ids[row, :kept] = vocab.encode(sentence.words[:kept])
            try:
                gold_ids[row, :kept] = [tag_index[tag] for tag in sentence.tags[:kept]]
            except KeyError as error:
                raise InputError(
                    f"sentence {row} of split {split!r} has tag {error.args[0]!r}, "
                    f"which is not in tag_names {list(tag_names)}"
                ) from None
        return cls(
            tuple(records),
            tag_names,
            vocab,
            max_length,
            word_ids,
            (np.arange(max_length) < steps[:, None]).astype(np.int8),
            gold_ids,
            steps,
            lengths > steps,
            IOBTables(tag_names),
        )

    def __len__(self) -> int:
        return len(self.sentences)

    def observation_space(self) -> spaces.Dict:
        """The observation space of one episode (see the env docstrings)."""
        length = self.max_length
        return spaces.Dict(
            {
                "word_ids": spaces.Box(0, len(self.vocab) - 1, (length,), np.int64),
                "attention_mask": spaces.MultiBinary(length),
                "position": spaces.Discrete(length + 1),
                "tags": spaces.Box(-1, len(self.tag_names) - 1, (length,), np.int64),
            }
        )
