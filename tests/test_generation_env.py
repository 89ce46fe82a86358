"""TextSummarization-v0 and the generic generation env: tokens, EOS, rewards, tokenizers."""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import textenvs  # noqa: F401
from textenvs.data.records import GenerationExample
from textenvs.data.tokenizer import TextTokenizer, TokenizerError, shipped_tokenizer_path
from textenvs.envs import InvalidActionError
from textenvs.envs.generation import TextGenerationEnv, TextGenerationVectorEnv
from textenvs.rewards import RewardFunctionError

EXAMPLES = [
    GenerationExample("Shares of Northwind rose on Tuesday.", ("Northwind shares rise",)),
    GenerationExample("Rain closed the coast road.", ("Coast road closed", "Rain shuts road")),
]


def write(env: gym.Env, text: str, eos: bool = True) -> list[tuple]:
    tokenizer = env.unwrapped.tokenizer
    ids = tokenizer.encode(text) + ([tokenizer.eos_token_id] if eos else [])
    return [env.step(token) for token in ids]


def test_defaults_use_the_shipped_corpus_and_tokenizer() -> None:
    env = gym.make("TextSummarization-v0")
    obs, info = env.reset(seed=0)
    tokenizer = env.unwrapped.tokenizer
    assert env.action_space == gym.spaces.Discrete(tokenizer.vocab_size)
    assert tokenizer.name == str(shipped_tokenizer_path())
    assert info["prompt"] and "references" not in info  # gold comes at the end only
    length = obs["source_mask"].sum()
    assert obs["source_ids"][:length].tolist() == tokenizer.encode(info["prompt"])[:length]
    assert not obs["generated_mask"].any()


def test_writing_the_reference_scores_one() -> None:
    env = gym.make("TextSummarization-v0", dataset={"train": EXAMPLES})
    env.reset(options={"index": 0})
    steps = write(env, "Northwind shares rise")
    rewards = [s[1] for s in steps]
    assert rewards[:-1] == [0.0] * (len(steps) - 1) and rewards[-1] == pytest.approx(1.0)
    _, _, terminated, truncated, final = steps[-1]
    assert (terminated, truncated) == (True, False)
    assert final["completion"] == "Northwind shares rise" and final["score"] == rewards[-1]
    assert final["new_tokens"] == len(steps)


def test_best_of_several_references() -> None:
    env = TextGenerationEnv(dataset=EXAMPLES, reward="rouge1")
    env.reset(options={"index": 1})
    assert write(env, "Rain shuts road")[-1][1] == pytest.approx(1.0)


def test_truncation_at_max_new_tokens() -> None:
    env = TextGenerationEnv(dataset=EXAMPLES, max_new_tokens=3)
    env.reset(options={"index": 0})
    tokens = env.tokenizer.encode("Northwind shares rise on Tuesday")[:3]
    steps = [env.step(token) for token in tokens]
    assert [s[2:4] for s in steps] == [(False, False), (False, False), (False, True)]
    assert steps[-1][4]["new_tokens"] == 3
    with pytest.raises(InvalidActionError, match="episode has ended"):
        env.step(0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_dense_return_equals_final_score(seed: int) -> None:
    env = TextGenerationEnv(
        dataset=EXAMPLES, dense=True, reward={"rouge1": 0.5, "rougeL": 0.5}, max_new_tokens=6
    )
    env.reset(seed=seed)
    reference_ids = env.tokenizer.encode(env.corpus.examples[env._index].references[0])
    rng = np.random.default_rng(seed)
    total, done = 0.0, False
    while not done:
        token = int(rng.choice([*reference_ids, env.tokenizer.eos_token_id]))
        _, reward, terminated, truncated, info = env.step(token)
        total += reward
        done = terminated or truncated
    assert total == pytest.approx(info["score"], abs=1e-9)


def test_custom_reward_is_called_in_batches() -> None:
    calls: list[int] = []

    def length_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(completions))
        return [float(len(c)) for c in completions]

    envs = TextGenerationVectorEnv(
        num_envs=4, dataset=EXAMPLES, reward=length_reward, max_new_tokens=2
    )
    envs.reset(seed=0)
    token = envs.tokenizer.encode("Rain")[0]
    _, rewards, _, _, _ = envs.step(np.full(4, token))
    assert calls == [] and not rewards.any()
    _, rewards, _, truncated, infos = envs.step(np.full(4, token))
    assert calls == [4] and truncated.all()
    assert rewards.tolist() == [float(len("RainRain"))] * 4 == infos["score"].tolist()


def test_nan_from_a_reward_function_names_it() -> None:
    def broken_reward(prompts, completions, references):  # type: ignore[no-untyped-def]
        return [float("nan")] * len(completions)

    env = TextGenerationEnv(dataset=EXAMPLES, reward=broken_reward)
    env.reset(seed=0)
    with pytest.raises(RewardFunctionError, match="broken_reward returned nan"):
        env.step(env.tokenizer.eos_token_id)


def test_transformers_tokenizer_object() -> None:
    from transformers import PreTrainedTokenizerFast

    hf = PreTrainedTokenizerFast(tokenizer_file=str(shipped_tokenizer_path()), eos_token="</s>")
    env = TextGenerationEnv(dataset=EXAMPLES, tokenizer=hf)
    assert env.tokenizer.eos_token_id == hf.eos_token_id
    assert env.action_space.n == len(hf)
    env.reset(options={"index": 0})
    assert write(env, "Northwind shares rise")[-1][4]["completion"] == "Northwind shares rise"


def test_tokenizer_without_eos_is_an_error() -> None:
    from transformers import PreTrainedTokenizerFast

    hf = PreTrainedTokenizerFast(tokenizer_file=str(shipped_tokenizer_path()))
    with pytest.raises(TokenizerError, match="has no EOS token"):
        TextGenerationEnv(dataset=EXAMPLES, tokenizer=hf)
    with pytest.raises(TokenizerError, match="unsupported tokenizer"):
        TextTokenizer(42)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_new_tokens": 0}, "max_new_tokens must be a positive integer"),
        ({"reward": "bleu"}, "unknown ROUGE type 'bleu'"),
        ({"dataset": "gigaword"}, "unknown dataset 'gigaword'"),
        ({"dense": "yes"}, "unknown dense 'yes'"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TextGenerationEnv(**kwargs)


def test_out_of_vocabulary_action() -> None:
    env = TextGenerationEnv(dataset=EXAMPLES)
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="outside the action space"):
        env.step(env.tokenizer.vocab_size)


def test_eos_token_can_be_named() -> None:
    from tokenizers import Tokenizer

    backend = Tokenizer.from_file(str(shipped_tokenizer_path()))
    assert TextTokenizer(backend).eos_token == "</s>"
    named = TextTokenizer(backend, eos_token="<s>")
    assert named.eos_token_id == backend.token_to_id("<s>")
    env = TextGenerationEnv(dataset=EXAMPLES, tokenizer=named)
    assert env.tokenizer.eos_token_id == named.eos_token_id
    with pytest.raises(TokenizerError, match=re.escape("has no EOS token '<|endoftext|>'")):
        TextTokenizer(backend, eos_token="<|endoftext|>")


@pytest.mark.parametrize("vector", [False, True])
def test_a_reward_that_raises_leaves_the_env_as_it_was(vector: bool) -> None:
    failing = {"now": False}

    def fragile_reward(prompts, completions, references, **kwargs):  # type: ignore[no-untyped-def]
        if failing["now"]:
            raise RuntimeError("the reward service is down")
        return [float(len(c)) for c in completions]

    def make() -> Any:
        settings = {"dataset": EXAMPLES, "reward": fragile_reward, "max_new_tokens": 3}
        return TextGenerationVectorEnv(num_envs=2, **settings) if vector else (
            TextGenerationEnv(**settings))  # fmt: skip

    tokens = [5, 6, 7, 8]
    actions = [np.array([t, t]) for t in tokens] if vector else tokens
    steady, broken = make(), make()
    steady.reset(seed=0)
    broken.reset(seed=0)
    for action in actions[:2]:
        steady.step(action)
        broken.step(action)
    failing["now"] = True
    with pytest.raises(RuntimeError, match="service is down"):
        broken.step(actions[2])  # the third token ends the episodes: scored, and it fails
    failing["now"] = False
    # After the failure the env goes on as if it never happened (a vector env autoresets).
    for action in actions[2:] if vector else actions[2:3]:
        expected, got = steady.step(action), broken.step(action)
        assert str(got) == str(expected)
