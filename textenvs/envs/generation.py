"""Text generation, one token per step, scored at the end (summarization); vectorized twin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from textenvs.data.generation_loaders import load_builtin_summarization
from textenvs.data.records import GenerationExample
from textenvs.data.tokenizer import TextTokenizer
from textenvs.envs.common import (
    InvalidActionError,
    TextVectorEnv,
    action_id,
    action_ids,
    batched_info,
    check_choice,
    check_render_mode,
    next_episode_id,
    object_column,
    record_index,
)
from textenvs.envs.datasets import check_max_length, resolve_split
from textenvs.rewards import RewardFn, call_reward, make_reward

_BUILTINS = {"summarization": load_builtin_summarization}


@dataclass(frozen=True)
class PromptCorpus:
    """One split of prompt/reference examples, tokenized for a generation environment.

    Attributes:
        examples: the split's records.
        tokenizer: the tokenizer whose vocabulary is the action space.
        max_source_length: the prompt observation length in tokens (longer prompts are cut).
        max_new_tokens: the most tokens a completion may have.
        source_ids: ``(n_examples, max_source_length)`` prompt token ids, 0 past the end.
        source_lengths: ``(n_examples,)`` observed prompt tokens.
    """

    examples: tuple[GenerationExample, ...]
    tokenizer: TextTokenizer
    max_source_length: int
    max_new_tokens: int
    source_ids: np.ndarray
    source_lengths: np.ndarray

    @classmethod
    def build(
        cls,
        dataset: Any,
        split: str,
        tokenizer: Any,
        max_source_length: int,
        max_new_tokens: int,
    ) -> PromptCorpus:
        """Resolve an env's ``dataset``/``split``/``tokenizer`` arguments and encode the split."""
        check_max_length(max_source_length, "max_source_length")
        check_max_length(max_new_tokens, "max_new_tokens")
        examples = resolve_split(dataset, split, GenerationExample, _BUILTINS).records
        tokenizer = TextTokenizer(tokenizer)
        source_ids = np.zeros((len(examples), max_source_length), dtype=np.int64)
        source_lengths = np.zeros(len(examples), dtype=np.int64)
        for row, example in enumerate(examples):
            ids = tokenizer.encode(example.prompt)[:max_source_length]
            source_ids[row, : len(ids)] = ids
            source_lengths[row] = len(ids)
        return cls(
            tuple(examples),
            tokenizer,
            max_source_length,
            max_new_tokens,
            source_ids,
            source_lengths,
        )

    def __len__(self) -> int:
        return len(self.examples)

    def observation_space(self) -> spaces.Dict:
        """The observation space of one episode (see the env docstring)."""
        top = self.tokenizer.vocab_size - 1
        source, new = self.max_source_length, self.max_new_tokens
        return spaces.Dict(
            {
                "source_ids": spaces.Box(0, top, (source,), np.int64),
                "source_mask": spaces.MultiBinary(source),
                "generated_ids": spaces.Box(0, top, (new,), np.int64),
                "generated_mask": spaces.MultiBinary(new),
            }
        )


class _GenerationAttributes:
    """What ``_setup`` sets on the single and the vector env alike (their shared attributes)."""

    corpus: PromptCorpus
    tokenizer: TextTokenizer
    split: str
    reward_fn: RewardFn
    dense: bool
    max_source_length: int
    max_new_tokens: int


class TextGenerationEnv(_GenerationAttributes, gym.Env[dict[str, np.ndarray], int | np.int64]):
    """Write a completion of a prompt one token at a time; a reward function scores it.

    ## Description

    One episode is one prompt (for ``TextSummarization-v0``, a news story to summarize in
    a headline). Each step appends one token of the tokenizer's vocabulary to the
    completion. The episode ends at the tokenizer's EOS token or after ``max_new_tokens``.
    Bring your own prompts, references and reward function, or use the registered
    summarization configuration.

    ## Action Space

    ``Discrete(vocab_size)`` over ``env.unwrapped.tokenizer`` (a
    :class:`~textenvs.data.tokenizer.TextTokenizer`): the next token. The policy must use the
    same tokenizer. An id outside the vocabulary raises :class:`InvalidActionError`.

    ## Observation Space

    | key              | space                                     | meaning                |
    |------------------|-------------------------------------------|------------------------|
    | `source_ids`     | `Box(0, vocab_size-1, (S,), int64)`       | prompt tokens, 0 after |
    | `source_mask`    | `MultiBinary(S)`                          | 1 for prompt tokens    |
    | `generated_ids`  | `Box(0, vocab_size-1, (T,), int64)`       | tokens written so far  |
    | `generated_mask` | `MultiBinary(T)`                          | 1 for tokens written   |

    ``S = max_source_length`` (longer prompts are cut), ``T = max_new_tokens``. At reset
    ``info`` holds the raw ``"prompt"`` and its ``"index"``; the ``"references"`` (gold) come
    only with the last step's info, so no agent can copy them.
    Every reset's ``info`` also holds an ``"episode_id"``, an int that numbers the episode
    (agents recognise episodes by it).

    ## Rewards

    ``reward=`` picks the scorer: ``"rouge1"`` (default), ``"rouge2"``, ``"rougeL"`` (the
    F-measure of Google's ``rouge-score`` with stemming, best over the references), a mapping
    of them to weights, or any callable ``fn(prompts, completions, references, **kwargs) ->
    list[float]``. Sparse by default: 0.0 until the last step, then the completion's score.
    ``dense=True`` rewards each step with the change in the score of the completion so far,
    so the return is the final score. NaN, infinite or missing scores raise
    :class:`~textenvs.rewards.RewardFunctionError` naming the function.

    ## Starting State

    A prompt of the split drawn uniformly with ``self.np_random``, or ``options={"index": i}``.

    ## Episode End

    * Termination: the EOS token is written (it is not part of the completion's text).
    * Truncation: ``max_new_tokens`` tokens are written without EOS.

    At the end ``info`` holds the decoded ``"completion"``, its ``"score"``, the number of
    ``"new_tokens"`` and the ``"references"``.

    ## Arguments

    ```python
    gym.make("TextSummarization-v0", split="train", dataset="summarization", tokenizer=None,
             reward="rouge1", dense=False, max_source_length=256, max_new_tokens=32)
    ```

    * ``dataset``: ``"summarization"`` (built-in news stories with headlines), a mapping from
      split name to :class:`~textenvs.data.GenerationExample` records, or records.
    * ``tokenizer``: a ``transformers`` tokenizer, a ``tokenizers.Tokenizer``, a path or hub
      name; by default the small tokenizer shipped with textenvs.

    ## Vectorized environment

    ``gym.make_vec("TextSummarization-v0", num_envs=64)`` returns a
    :class:`TextGenerationVectorEnv`: numpy-batched, ``NEXT_STEP`` autoreset, and one reward
    call per step for all the completions that end there (so model-based rewards batch).

    ## Version History

    * v0: Initial version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        split: str = "train",
        dataset: Any = None,
        tokenizer: Any = None,
        reward: str | Mapping[str, float] | RewardFn = "rouge1",
        dense: bool = False,
        max_source_length: int = 256,
        max_new_tokens: int = 32,
        render_mode: str | None = None,
    ) -> None:
        _setup(
            self,
            split,
            dataset,
            tokenizer,
            reward,
            dense,
            max_source_length,
            max_new_tokens,
            render_mode,
        )
        self.action_space = spaces.Discrete(self.tokenizer.vocab_size)
        # gymnasium types spaces.Dict as a Space of dicts of spaces, not of observations.
        self.observation_space = self.corpus.observation_space()  # type: ignore[assignment]
        self._index = -1
        self._generated: list[int] = []
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode on a random prompt, or on ``options["index"]``."""
        super().reset(seed=seed)
        index = record_index(self, options, len(self.corpus))
        self._index, self._generated, self._done, self._last_score = index, [], False, 0.0
        example = self.corpus.examples[index]
        info = {"prompt": example.prompt, "index": index}
        info["episode_id"] = next_episode_id(self, seed)
        return self._observation(), info

    def step(
        self, action: int | np.int64
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Append one token to the completion."""
        if self._index < 0:
            raise InvalidActionError("call reset() before step()")
        if self._done:
            raise InvalidActionError("the episode has ended; call reset() to start another")
        token = action_id(action, self.tokenizer.vocab_size)
        self._generated.append(token)
        terminated = token == self.tokenizer.eos_token_id
        truncated = not terminated and len(self._generated) == self.max_new_tokens
        info: dict[str, Any] = {}
        reward = 0.0
        if terminated or truncated or self.dense:
            completion = self.tokenizer.decode(self._generated)
            example = self.corpus.examples[self._index]
            try:
                (score,) = call_reward(
                    self.reward_fn, [example.prompt], [completion], [example.references]
                )
            except BaseException:  # a reward that raises leaves the env as it was
                self._generated.pop()
                raise
        self._done = terminated or truncated
        if self._done or self.dense:
            reward = score - self._last_score if self.dense else (score if self._done else 0.0)
            self._last_score = score
            if self._done:
                info = {
                    "completion": completion,
                    "score": score,
                    "new_tokens": len(self._generated),
                    "references": list(example.references),
                }
        return self._observation(), reward, terminated, truncated, info

    def render(self) -> str | None:
        """With ``render_mode="ansi"``: the prompt, the completion so far, the references."""
        if self.render_mode != "ansi" or self._index < 0:
            return None
        example = self.corpus.examples[self._index]
        return (
            f"prompt: {example.prompt}\ncompletion: {self.tokenizer.decode(self._generated)}\n"
            f"references: {' | '.join(example.references)}\n"
        )

    def _observation(self) -> dict[str, np.ndarray]:
        generated = np.zeros(self.max_new_tokens, dtype=np.int64)
        generated[: len(self._generated)] = self._generated
        length = self.corpus.source_lengths[self._index]
        return {
            "source_ids": self.corpus.source_ids[self._index].copy(),
            "source_mask": (np.arange(self.max_source_length) < length).astype(np.int8),
            "generated_ids": generated,
            "generated_mask": (np.arange(self.max_new_tokens) < len(self._generated)).astype(
                np.int8
            ),
        }


class TextGenerationVectorEnv(_GenerationAttributes, TextVectorEnv):
    """``num_envs`` copies of :class:`TextGenerationEnv` stepped together with numpy.

    Same spaces (batched), rewards, infos and seeding as ``SyncVectorEnv`` over the single
    env; ``NEXT_STEP`` autoreset. The reward function is called once per step on all the
    completions that need a score (those that end, or all of them when ``dense``).

    Args:
        num_envs: number of completions written at once.
        **kwargs: the arguments of :class:`TextGenerationEnv`.
    """

    _state_arrays = ("_index", "_length", "_generated", "_last_score")

    def __init__(
        self,
        num_envs: int = 1,
        split: str = "train",
        dataset: Any = None,
        tokenizer: Any = None,
        reward: str | Mapping[str, float] | RewardFn = "rouge1",
        dense: bool = False,
        max_source_length: int = 256,
        max_new_tokens: int = 32,
        render_mode: str | None = None,
    ) -> None:
        _setup(
            self,
            split,
            dataset,
            tokenizer,
            reward,
            dense,
            max_source_length,
            max_new_tokens,
            render_mode,
        )
        self._init_batch(
            num_envs, spaces.Discrete(self.tokenizer.vocab_size), self.corpus.observation_space()
        )
        self._index = np.full(num_envs, -1, dtype=np.int64)
        self._length = np.zeros(num_envs, dtype=np.int64)
        # One scratch column past max_new_tokens for the ignored action of a waiting sub-env.
        self._generated = np.zeros((num_envs, max_new_tokens + 1), dtype=np.int64)
        self._last_score = np.zeros(num_envs)
        self._rows = np.arange(num_envs)

    def step(
        self, actions: Any
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Append one token to every completion; reset those that ended on the last step."""
        self._check_ready()
        tokens = action_ids(actions, self.num_envs, self.tokenizer.vocab_size)
        active = ~self._autoreset
        before = self._length.copy()  # a reward that raises leaves the env as it was
        self._generated[self._rows, self._length] = tokens  # past the kept length: scratch
        self._length += active
        terminated = active & (tokens == self.tokenizer.eos_token_id)
        truncated = active & ~terminated & (self._length == self.max_new_tokens)
        ended = terminated | truncated
        scored = np.flatnonzero(active if self.dense else ended)
        rewards = np.zeros(self.num_envs)
        infos: dict[str, Any] = {}
        if scored.size:
            completions = [
                self.tokenizer.decode(self._generated[env, :length].tolist())
                for env, length in zip(scored.tolist(), self._length[scored].tolist())
            ]
            examples = [self.corpus.examples[row] for row in self._index[scored].tolist()]
            try:
                scores = np.array(
                    call_reward(
                        self.reward_fn,
                        [e.prompt for e in examples],
                        completions,
                        [e.references for e in examples],
                    )
                )
            except BaseException:
                self._length[:] = before
                raise
            rewards[scored] = scores - self._last_score[scored] if self.dense else scores
            self._last_score[scored] = scores
            finished = ended[scored]
            if finished.any():
                envs = scored[finished]
                env_list = envs.tolist()
                score_info = np.zeros(self.num_envs)
                score_info[envs] = scores[finished]
                new_tokens = np.zeros(self.num_envs, dtype=np.int64)
                new_tokens[envs] = self._length[envs]
                texts = [c for c, f in zip(completions, finished.tolist()) if f]
                infos = batched_info(
                    envs,
                    completion=object_column(self.num_envs, env_list, texts),
                    score=score_info,
                    new_tokens=new_tokens,
                    references=object_column(
                        self.num_envs,
                        env_list,
                        [list(e.references) for e, f in zip(examples, finished.tolist()) if f],
                    ),
                )
        waiting = np.flatnonzero(self._autoreset)
        if waiting.size:
            infos.update(self._start_episodes(waiting, None))
        self._autoreset = ended
        return self._observations(), rewards, terminated, truncated, infos

    def _reset_envs(self, envs: np.ndarray, index: Any) -> dict[str, Any]:
        corpus, env_list = self.corpus, envs.tolist()
        rows = self._draw_records(env_list, index, len(corpus))
        self._index[envs] = rows
        self._length[envs] = 0
        self._generated[envs] = 0
        self._last_score[envs] = 0.0
        examples = [corpus.examples[row] for row in rows]
        index_info = np.zeros(self.num_envs, dtype=np.int64)
        index_info[envs] = rows
        return batched_info(
            envs,
            prompt=object_column(self.num_envs, env_list, [e.prompt for e in examples]),
            index=index_info,
        )

    def _observations(self) -> dict[str, np.ndarray]:
        lengths = self.corpus.source_lengths[self._index]
        return {
            "source_ids": self.corpus.source_ids[self._index],
            "source_mask": (np.arange(self.max_source_length) < lengths[:, None]).astype(np.int8),
            "generated_ids": self._generated[:, :-1].copy(),
            "generated_mask": (np.arange(self.max_new_tokens) < self._length[:, None]).astype(
                np.int8
            ),
        }


def _setup(
    env: TextGenerationEnv | TextGenerationVectorEnv,
    split: str,
    dataset: Any,
    tokenizer: Any,
    reward: Any,
    dense: bool,
    max_source_length: int,
    max_new_tokens: int,
    render_mode: str | None,
) -> None:
    """Check the arguments both envs share and set the attributes they share."""
    check_render_mode(env, render_mode)
    check_choice("dense", dense, (False, True))
    env.reward_fn = make_reward(reward)
    env.corpus = PromptCorpus.build(dataset, split, tokenizer, max_source_length, max_new_tokens)
    env.tokenizer = env.corpus.tokenizer
    env.split, env.dense, env.render_mode = split, dense, render_mode
    env.max_source_length, env.max_new_tokens = max_source_length, max_new_tokens
