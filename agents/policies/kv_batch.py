"""One KV cache for a batch of episodes that start and end at different steps.

A vector env's sub-envs write their completions side by side, but each starts its episode
whenever the last one ended. :class:`BatchedContexts` keeps one row per sub-env in a single
transformers ``DynamicCache``, so that every env step is one forward pass for the whole
batch:

* a row's new tokens (a new episode's prompt, or the token its episode wrote last) are fed
  right-aligned, after left padding, in one ``(rows, longest)`` input;
* a row that starts a new episode hides its old context with the attention mask (a 0 over
  every earlier column), and counts positions from 0 again (``position_ids`` are given, so
  rotary positions do not depend on where a token sits in the cache);
* new contexts are prefilled in a pass of their own (so that a long prompt does not pad
  every other row's one new token to its length), each distinct prompt once: the ``k``
  samples of one prompt in RLOO / GRPO share its prefill, copied ``k`` ways;
* when more than half of the cache's columns are hidden, each row's visible columns are
  gathered to the right of a narrower cache (compaction), so memory follows the live
  contexts and not the history.

:class:`EpisodeRows` ties the rows to a vector env's sub-envs: which episode each row holds
and how much of it has been fed, so a policy feeds each step only what a row lacks.

Models must take ``attention_mask`` with holes and ``position_ids`` (Llama, Mistral, Qwen,
GPT-NeoX, SmolLM2 do, and BERT-like encoders loaded with a causal mask, which have no
logits: only ``states``; ``track_means=True`` also keeps each context's mean state).
Prompt-learning PEFT methods (prompt and prefix tuning) put virtual tokens in the cache
themselves; their policies act episode by episode instead.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch


class BatchedContexts:
    """The contexts of ``rows`` episodes in one KV cache, with each row's last outputs.

    Attributes:
        logits: ``(rows, vocab)`` next-token logits after each row's last fed token (``None``
            for a model without an LM head).
        states: ``(rows, hidden)`` last-layer hidden state there (for a value head).
        mean_states: ``(rows, hidden)`` the mean last-layer state of each row's context, with
            ``track_means=True`` (else ``None``).
    """

    def __init__(
        self, rows: int, pad_id: int, device: torch.device, track_means: bool = False
    ) -> None:
        self.rows, self.pad_id, self.device = rows, pad_id, device
        self.track_means = track_means
        self.sums: torch.Tensor | None = None  # of each context's token states
        self.counts = torch.zeros(rows, dtype=torch.long, device=device)
        self.cache: Any = None
        self.mask = torch.zeros(rows, 0, dtype=torch.long, device=device)
        self.lengths = torch.zeros(rows, dtype=torch.long, device=device)
        self.logits: torch.Tensor | None = None
        self.states: torch.Tensor | None = None
        self.forward_calls = 0

    @property
    def mean_states(self) -> torch.Tensor | None:
        """Each row's mean last-layer state over its context (``track_means=True``)."""
        if self.sums is None:
            return None
        return self.sums / self.counts.clamp(min=1)[:, None].to(self.sums.dtype)

    @property
    def width(self) -> int:
        """Columns of the cache (visible or hidden)."""
        return int(self.mask.shape[1])

    def feed(self, model: Any, tokens: list[list[int]], restart: list[bool]) -> None:
        """Append ``tokens[r]`` to row ``r``'s context (a fresh context where ``restart[r]``).

        One forward pass of ``model`` for all rows that have tokens to feed, after one
        prefill pass when rows restart (each distinct new context prefilled once); rows with
        nothing to feed keep their logits and states.
        """
        if len(tokens) != self.rows or len(restart) != self.rows:
            raise ValueError(f"{len(tokens)} token lists for {self.rows} rows")
        restarted = [r for r in range(self.rows) if restart[r]]
        if restarted:
            self.mask[restarted] = 0
            self.lengths[restarted] = 0
            self.counts[restarted] = 0
            if self.sums is not None:
                self.sums[restarted] = 0
        tokens = self._prefill(model, tokens, restart)
        if not any(tokens):
            return
        ids, new_mask = pad_rows(tokens, self.pad_id, left=True)
        positions = self.lengths.cpu()[:, None] + row_positions(new_mask)
        self._forward(model, ids, new_mask, positions)

    def _forward(
        self, model: Any, ids: torch.Tensor, new_mask: torch.Tensor, positions: torch.Tensor
    ) -> None:
        """Feed ``ids`` (right-aligned per row) after the cache; keep the fed rows' outputs."""
        device = self.device
        new_mask, positions = new_mask.to(device), positions.to(device)
        attention = torch.cat([self.mask, new_mask], dim=1)
        self.forward_calls += 1
        output = model(
            input_ids=ids.to(device),
            attention_mask=attention,
            position_ids=positions,
            **{cache_keyword(model): self.cache},
            use_cache=True,
            output_hidden_states=True,
            **_logits_to_keep(model),
        )
        self.cache, self.mask = output_cache(output), attention
        fed = new_mask[:, -1].bool()
        hidden = output.hidden_states[-1]
        states = hidden[:, -1]
        if self.states is not None:
            states = torch.where(fed[:, None], states, self.states)
        self.states = states
        if output.get("logits") is not None:
            logits = output.logits[:, -1]
            self.logits = (
                logits if self.logits is None else torch.where(fed[:, None], logits, self.logits)
            )
        if self.track_means:
            self._add_to_means(hidden, new_mask, torch.arange(self.rows), list(range(self.rows)))
        self.lengths += new_mask.sum(dim=1)
        self._compact_if_sparse()

    def _prefill(self, model: Any, tokens: list[list[int]], restart: list[bool]) -> list[list[int]]:
        """Prefill the restarted rows' contexts but their last token; what is left to feed.

        Each distinct context is run once; its cache is copied into every row that starts
        with it (right-aligned, after the row's hidden columns), so the main pass feeds
        those rows only their last token (which gives their logits).
        """
        groups: dict[tuple[int, ...], list[int]] = {}
        for row, row_tokens in enumerate(tokens):
            if restart[row] and len(row_tokens) > 1:
                groups.setdefault(tuple(row_tokens), []).append(row)
        if not groups:
            return tokens
        prompts = list(groups)
        ids, mask = pad_rows([list(p[:-1]) for p in prompts], self.pad_id, left=True)
        positions = row_positions(mask)
        self.forward_calls += 1
        output = model(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            use_cache=True,
            output_hidden_states=self.track_means,
            **_logits_to_keep(model),
        )
        source = torch.tensor([i for i, p in enumerate(prompts) for _ in groups[p]])
        targets = [row for p in prompts for row in groups[p]]
        self._append_rows(output_cache(output), mask, source, targets)
        if self.track_means:
            self._add_to_means(output.hidden_states[-1], mask, source, targets)
        left = [list(t) for t in tokens]
        for row in targets:
            left[row] = left[row][-1:]
        return left

    def _append_rows(
        self, prefilled: Any, mask: torch.Tensor, source: torch.Tensor, targets: list[int]
    ) -> None:
        """Append ``prefilled``'s rows ``source`` as new columns of rows ``targets``.

        Every other row gets hidden columns; the sharing rows' lengths grow by their prompt.
        """
        added = mask.shape[1]
        grown = torch.zeros(self.rows, added, dtype=torch.long, device=self.device)
        grown[targets] = mask[source].to(self.device)
        for layer in prefilled.layers:
            for name in ("keys", "values"):
                new = getattr(layer, name)
                block = new.new_zeros(self.rows, *new.shape[1:])
                block[targets] = new[source.to(new.device)]
                setattr(layer, name, block)
        if self.cache is None:
            self.cache = prefilled
        else:
            for layer, new_layer in zip(self.cache.layers, prefilled.layers):
                for name in ("keys", "values"):
                    joined = torch.cat([getattr(layer, name), getattr(new_layer, name)], dim=2)
                    setattr(layer, name, joined)
        self.mask = torch.cat([self.mask, grown], dim=1)
        self.lengths += grown.sum(dim=1)

    def _add_to_means(
        self, hidden: torch.Tensor, mask: torch.Tensor, source: torch.Tensor, targets: list[int]
    ) -> None:
        """Add the states of ``hidden``'s rows ``source`` (where ``mask``) to rows ``targets``."""
        weights = mask.to(hidden.device, hidden.dtype)[..., None]
        sums = (hidden * weights).sum(dim=1)[source.to(hidden.device)]
        if self.sums is None:
            self.sums = hidden.new_zeros(self.rows, hidden.shape[-1])
        self.sums[targets] += sums
        self.counts[targets] += mask.sum(dim=1).to(self.counts.device)[source]

    def _compact_if_sparse(self) -> None:
        """Gather each row's visible columns to the right of a narrower cache."""
        visible = self.mask.sum(dim=1)
        keep = int(visible.max()) if self.rows else 0
        if self.width <= 2 * keep + 16:
            return
        # Per row: its visible columns in order, right-aligned in ``keep`` slots; rows with
        # fewer point their first slots at column 0 and hide them.
        ranks = self.mask * self.width + torch.arange(self.width, device=self.mask.device)
        order = torch.argsort(ranks, dim=1)
        columns = order[:, -keep:] if keep else order[:, :0]
        new_mask = self.mask.gather(1, columns)
        for layer in self.cache.layers:
            for name in ("keys", "values"):
                tensor = getattr(layer, name)
                index = columns[:, None, :, None].expand(-1, tensor.shape[1], -1, tensor.shape[3])
                setattr(layer, name, tensor.gather(2, index.to(tensor.device)))
        self.mask = new_mask


class EpisodeRows:
    """A :class:`BatchedContexts` whose rows follow a vector env's episodes, one per sub-env.

    Row ``r`` holds sub-env ``r``'s episode in flight. ``progress[r]`` is how much of that
    episode its context has been fed, in the caller's unit (words read, tokens written). A
    row whose episode id changes starts afresh (progress 0); a change in the number of rows
    starts every row afresh, in a new cache.
    """

    def __init__(self, pad_id: int, device: torch.device, track_means: bool = False) -> None:
        self.contexts = BatchedContexts(0, pad_id, device, track_means=track_means)
        self.episodes: list[Any] = []
        self.progress: list[int] = []

    def start(self, episode_ids: list[Any]) -> list[bool]:
        """Which rows hold a new episode now; their progress is reset to 0."""
        rows = len(episode_ids)
        old = self.contexts
        if old.rows != rows:
            self.contexts = BatchedContexts(rows, old.pad_id, old.device, old.track_means)
            self.episodes, self.progress = [None] * rows, [0] * rows
        fresh = [held != new for held, new in zip(self.episodes, episode_ids)]
        for row, new in enumerate(episode_ids):
            if fresh[row]:
                self.episodes[row], self.progress[row] = new, 0
        return fresh

    def feed(
        self, model: Any, tokens: list[list[int]], restart: list[bool], progress: list[int]
    ) -> int:
        """Feed each row its new ``tokens`` and record its ``progress``; forward passes run."""
        calls = self.contexts.forward_calls
        self.contexts.feed(model, tokens, restart)
        self.progress = list(progress)
        return self.contexts.forward_calls - calls


def episode_rows(
    cache: dict[str, Any], pad_id: int | None, device: torch.device, track_means: bool = False
) -> EpisodeRows:
    """The :class:`EpisodeRows` a policy keeps in its acting cache ``cache``, made once."""
    if "rows" not in cache:
        cache["rows"] = EpisodeRows(0 if pad_id is None else pad_id, device, track_means)
    rows: EpisodeRows = cache["rows"]
    return rows


def pad_rows(
    rows: list[list[int]], pad: int, left: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows as one ``(len(rows), longest)`` id tensor and its 0/1 attention mask.

    Padded on the right, or on the left (``left=True``: every row ends in the last column).
    """
    width = max((len(row) for row in rows), default=0)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            columns = slice(width - len(row), width) if left else slice(0, len(row))
            ids[i, columns] = torch.tensor(row, dtype=torch.long)
            mask[i, columns] = 1
    return ids, mask


def row_positions(mask: torch.Tensor) -> torch.Tensor:
    """Each token's position within its row's tokens (0, 1, ...; padding gets 0)."""
    return (mask.cumsum(dim=1) - 1).clamp(min=0)


def cache_keyword(model: Any) -> str:
    """The keyword a model's ``forward`` takes a KV cache by.

    ``cache`` in transformers releases that renamed it, ``past_key_values`` before (and
    through peft's wrappers, which pass it on).
    """
    return "cache" if "cache" in _forward_parameters(model) else "past_key_values"


def _logits_to_keep(model: Any) -> dict[str, int]:
    """``logits_to_keep=1`` for a model with an LM head that takes it; nothing otherwise."""
    return {"logits_to_keep": 1} if "logits_to_keep" in _forward_parameters(model) else {}


def _forward_parameters(model: Any) -> frozenset[str]:
    """The parameter names of the ``forward`` of ``model`` (its base model, under peft)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return _signature_names(getattr(base.forward, "__func__", base.forward))


@functools.lru_cache(maxsize=64)
def _signature_names(forward: Any) -> frozenset[str]:
    """A ``forward``'s parameter names (looked up once, not at every step)."""
    return frozenset(inspect.signature(forward).parameters)


def output_cache(output: Any) -> Any:
    """The KV cache a forward pass returned, under either name."""
    return output["cache"] if "cache" in output else output["past_key_values"]
