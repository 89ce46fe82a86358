"""BatchedContexts: one KV cache for episodes that start and end at different steps.

Every row's logits (and states, and mean states) must equal a full forward pass over that
row's context alone, through restarts, shared prompts and compaction, for a causal LM and
for an encoder with a causal attention mask.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from agents.policies.backbones import tiny_backbone
from agents.policies.kv_batch import BatchedContexts, EpisodeRows


def full_logits(model: torch.nn.Module, context: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([context])).logits[0, -1]


def full_states(model: torch.nn.Module, context: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([context]), output_hidden_states=True).hidden_states[
            -1
        ][0]


@pytest.mark.parametrize("kind", ["causal", "encoder-causal"])
def test_rows_restarting_at_different_steps_match_full_passes(kind: str) -> None:
    lm = kind == "causal"
    model = (tiny_backbone("causal") if lm else tiny_backbone("encoder", causal_mask=True)).model
    rng = np.random.default_rng(0)
    rows = 5
    shared_prompt = rng.integers(5, 4000, size=9).tolist()
    contexts: list[list[int]] = [[] for _ in range(rows)]
    batch = BatchedContexts(rows, pad_id=0, device=torch.device("cpu"), track_means=True)
    widths = []
    for _ in range(60):
        tokens, restart = [], []
        for row in range(rows):
            if not contexts[row] or rng.random() < 0.15:  # a new episode
                if row < 3 and rng.random() < 0.5:
                    prompt = list(shared_prompt)  # rows 0-2 often share one prompt
                else:
                    prompt = rng.integers(5, 4000, size=int(rng.integers(1, 30))).tolist()
                contexts[row] = prompt
                tokens.append(prompt)
                restart.append(True)
            elif rng.random() < 0.2:  # nothing new this step (a finished, waiting episode)
                tokens.append([])
                restart.append(False)
            else:
                token = int(rng.integers(5, 4000))
                contexts[row].append(token)
                tokens.append([token])
                restart.append(False)
        with torch.no_grad():
            batch.feed(model, tokens, restart)
        assert batch.states is not None and batch.mean_states is not None
        assert (batch.logits is not None) == lm  # an encoder has no LM head
        for row in range(rows):
            if lm:
                expected = full_logits(model, contexts[row])
                torch.testing.assert_close(batch.logits[row], expected, atol=1e-5, rtol=1e-4)
            states = full_states(model, contexts[row])
            torch.testing.assert_close(batch.states[row], states[-1], atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(batch.mean_states[row], states.mean(0), atol=1e-5, rtol=1e-4)
        # compaction keeps the cache within twice the longest live context
        assert batch.width <= 2 * max(len(c) for c in contexts) + 16
        widths.append(batch.width)
    assert any(later < earlier for earlier, later in itertools.pairwise(widths))  # it compacted


def test_identical_new_prompts_are_prefilled_once() -> None:
    model = tiny_backbone("causal").model
    prompt = list(range(10, 30))
    k = 4
    batch = BatchedContexts(k, pad_id=0, device=torch.device("cpu"))
    calls = []
    original = model.forward

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["input_ids"].shape)
        return original(*args, **kwargs)

    model.forward = counting
    with torch.no_grad():
        batch.feed(model, [list(prompt)] * k, [True] * k)
    # one prefill of the shared prompt (one row), then one token per row
    assert calls == [torch.Size([1, len(prompt) - 1]), torch.Size([k, 1])]
    expected = full_logits(model, prompt)
    for row in range(k):
        torch.testing.assert_close(batch.logits[row], expected, atol=1e-5, rtol=1e-4)


def test_episode_rows_restart_a_row_when_its_episode_changes_and_all_when_rows_change() -> None:
    model = tiny_backbone("causal").model
    rows = EpisodeRows(pad_id=0, device=torch.device("cpu"))
    assert rows.start(["a", "b"]) == [True, True]
    with torch.no_grad():
        calls = rows.feed(model, [[5, 6, 7], [8, 9]], [True, True], [3, 2])
    assert calls == 2  # one prefill of both prompts, then their last tokens
    assert rows.progress == [3, 2]
    assert rows.start(["a", "c"]) == [False, True]  # row 1 holds a new episode
    assert rows.progress == [3, 0]
    with torch.no_grad():
        rows.feed(model, [[10], [11, 12]], [False, True], [4, 2])
    assert rows.contexts.logits is not None
    torch.testing.assert_close(
        rows.contexts.logits[0], full_logits(model, [5, 6, 7, 10]), atol=1e-5, rtol=1e-4
    )
    torch.testing.assert_close(
        rows.contexts.logits[1], full_logits(model, [11, 12]), atol=1e-5, rtol=1e-4
    )
    first = rows.contexts
    assert rows.start(["a", "c", "d"]) == [True, True, True]  # a new batch size: all afresh
    assert rows.contexts is not first and rows.contexts.rows == 3
    assert rows.progress == [0, 0, 0]
