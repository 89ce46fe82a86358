"""TextNER-v0: conformance with the env checkers, rewards, masks, infos and errors."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seqeval.metrics import f1_score

from textenvs.envs import InvalidActionError, TextNEREnv
from textenvs.metrics import corpus_span_scores, sentence_span_scores

REWARDS = ["token", "f1", "delta_f1"]


def run_episode(env: gym.Env, actions: Any, **reset_kwargs: Any) -> tuple[list, list, dict]:
    """Step one episode; ``actions(env, step)`` picks each action."""
    obs, info = env.reset(**reset_kwargs)
    observations, rewards = [obs], []
    done, step = False, 0
    while not done:
        obs, reward, terminated, truncated, info = env.step(actions(env, step))
        observations.append(obs)
        rewards.append(reward)
        done = terminated or truncated
        step += 1
    return observations, rewards, info


def random_actions(seed: int) -> Any:
    rng = np.random.default_rng(seed)
    return lambda env, _: int(rng.integers(env.action_space.n))


def test_registered_under_both_ids() -> None:
    assert isinstance(gym.make("TextNER-v0").unwrapped, TextNEREnv)
    assert isinstance(gym.make("textenvs:TextNER-v0").unwrapped, TextNEREnv)


def test_spaces_and_tag_names() -> None:
    env = gym.make("TextNER-v0", max_length=40).unwrapped
    assert env.tag_names[0] == "O"
    assert set(env.tag_names) == {"O"} | {
        f"{p}-{t}" for p in "BI" for t in ("PER", "ORG", "LOC", "MISC")
    }
    assert env.action_space == gym.spaces.Discrete(len(env.tag_names))
    assert env.observation_space["word_ids"].shape == (40,)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    words = info["words"]
    assert obs["attention_mask"].sum() == min(len(words), 40)
    assert (obs["word_ids"][: len(words)] == env.vocab.encode(words[:40])).all()
    assert (obs["tags"] == -1).all() and obs["position"] == 0


def test_token_reward_and_final_info(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", reward="token")
    gold = tiny_dataset["test"][0].tags
    tag_ids = [env.tag_names.index(t) for t in gold]
    guess = [*tag_ids[:-2], 0, 0]  # miss the last entity ("Berlin") and the final "."
    _, rewards, info = run_episode(env, lambda _, i: guess[i], options={"index": 0})
    assert rewards == [1.0] * (len(gold) - 2) + [0.0, 1.0]
    assert info["gold_tags"] == list(gold)
    assert info["pred_tags"] == [env.tag_names[t] for t in guess]
    assert info["precision"] == 1.0 and info["recall"] == pytest.approx(2 / 3)
    assert info["f1"] == pytest.approx(f1_score([list(gold)], [info["pred_tags"]]))


def test_f1_reward_is_sparse(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", reward="f1")
    _, rewards, info = run_episode(env, random_actions(0), options={"index": 2})
    assert rewards[:-1] == [0.0] * (len(rewards) - 1)
    assert (
        rewards[-1]
        == info["f1"]
        == sentence_span_scores(info["gold_tags"], info["pred_tags"])["f1"]
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), max_length=st.integers(3, 64))
def test_delta_f1_return_equals_final_f1(seed: int, max_length: int) -> None:
    env = gym.make("TextNER-v0", reward="delta_f1", max_length=max_length, split="validation")
    rng = np.random.default_rng(seed)

    # Mostly-correct actions so that entities are found, missed and broken in every way.
    def actions(env: gym.Env, i: int) -> int:
        gold = env.unwrapped.corpus.gold_ids[env.unwrapped._index, i]
        return int(gold) if rng.random() < 0.7 else int(rng.integers(env.action_space.n))

    for _ in range(5):
        _, rewards, info = run_episode(env, actions, seed=int(rng.integers(2**31)))
        assert sum(rewards) == pytest.approx(info["f1"], abs=1e-9)
        assert info["f1"] == sentence_span_scores(info["gold_tags"], info["pred_tags"])["f1"]


def test_delta_f1_rewards_each_completed_entity(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", reward="delta_f1")
    gold = [env.tag_names.index(t) for t in tiny_dataset["test"][0].tags]
    _, rewards, info = run_episode(env, lambda _, i: gold[i], options={"index": 0})
    assert sum(rewards) == pytest.approx(1.0) and info["f1"] == 1.0
    assert all(r >= 0 for r in rewards)


def test_gold_actions_score_perfectly_on_whole_split() -> None:
    env = gym.make("TextNER-v0", split="validation", reward="f1")
    golds, preds = [], []
    for index in range(len(env.unwrapped.corpus)):
        gold = env.unwrapped.corpus.gold_ids[index].tolist()
        _, rewards, info = run_episode(env, lambda _, i, g=gold: g[i], options={"index": index})
        assert rewards[-1] == 1.0
        golds.append(info["gold_tags"])
        preds.append(info["pred_tags"])
    assert corpus_span_scores(golds, preds)["f1"] == 1.0


def test_truncation_scores_the_untagged_rest_as_outside(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", reward="f1", max_length=8)
    sentence = tiny_dataset["test"][2]  # 18 words; entities after word 8 cannot be tagged
    gold = [env.tag_names.index(t) for t in sentence.tags]
    obs, rewards, info = run_episode(env, lambda _, i: gold[i], options={"index": 2})
    assert len(rewards) == 8
    assert info["pred_tags"] == list(sentence.tags[:8]) + ["O"] * 10
    assert info["recall"] == pytest.approx(1 / 3) and info["precision"] == 1.0
    assert rewards[-1] == info["f1"]
    assert obs[-1]["position"] == 8


def test_a_cut_sentence_terminates_and_says_so(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", max_length=8)
    env.reset(options={"index": 2})
    steps = [env.step(0) for _ in range(8)]
    assert steps[-1][2:4] == (True, False) and all(s[2:4] == (False, False) for s in steps[:-1])
    assert steps[-1][4]["input_truncated"] is True
    env.reset(options={"index": 0})
    steps = [env.step(0) for _ in range(7)]
    assert steps[-1][2:4] == (True, False) and steps[-1][4]["input_truncated"] is False


def test_action_masks_follow_iob2(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test")
    names = env.tag_names
    env.reset(options={"index": 0})
    allowed = lambda: {names[i] for i in np.flatnonzero(env.action_masks())}  # noqa: E731
    assert allowed() == {t for t in names if not t.startswith("I-")}
    env.step(names.index("B-PER"))
    assert allowed() == {t for t in names if not t.startswith("I-")} | {"I-PER"}
    env.step(names.index("I-PER"))
    assert "I-PER" in allowed() and "I-LOC" not in allowed()
    env.step(names.index("O"))
    assert not any(t.startswith("I-") for t in allowed())


def test_invalid_tag_taken_anyway_is_read_like_seqeval(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", reward="f1")
    gold = tiny_dataset["test"][0].tags  # Mary works for Acme in Berlin .
    chosen = ["I-PER", "O", "O", "I-ORG", "O", "B-LOC", "O"]  # I- after nothing opens an entity
    _, rewards, info = run_episode(
        env, lambda _, i: env.tag_names.index(chosen[i]), options={"index": 0}
    )
    assert info["pred_tags"] == chosen
    assert rewards[-1] == 1.0 == f1_score([list(gold)], [chosen])


@pytest.mark.parametrize("action", [-1, 9, 100, 2.5, "B-PER", None, np.array([1, 2]), True])
def test_out_of_range_action_is_a_clear_error(action: Any) -> None:
    env = gym.make("TextNER-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="action"):
        env.step(action)


def test_numpy_integer_actions_are_accepted() -> None:
    env = gym.make("TextNER-v0")
    env.reset(seed=0)
    env.step(np.int64(0))
    env.step(np.array(0))


def test_step_after_end_is_an_error(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test")
    run_episode(env, lambda *_: 0, options={"index": 1})
    with pytest.raises(InvalidActionError, match="episode has ended"):
        env.step(0)


def test_reset_index_walks_split() -> None:
    env = gym.make("TextNER-v0", split="test")
    corpus = env.unwrapped.corpus
    for index in (0, 5, len(corpus) - 1):
        _, info = env.reset(options={"index": index})
        assert info["index"] == index
        assert info["words"] == list(corpus.sentences[index].words)
    for bad in (-1, len(corpus), "3"):
        with pytest.raises(ValueError, match="options\\['index'\\]"):
            env.reset(options={"index": bad})


def test_render_ansi(tiny_dataset: dict) -> None:
    env = TextNEREnv(dataset=tiny_dataset, split="test", render_mode="ansi")
    env.reset(options={"index": 0})
    env.step(env.tag_names.index("B-PER"))
    env.step(env.tag_names.index("B-PER"))
    text = env.render()
    lines = text.splitlines()
    assert lines[1].split() == ["Mary", "B-PER", "B-PER", "ok"]
    assert lines[2].split() == ["works", "O", "B-PER", "x"]
    assert lines[3].split() == ["for", "O", "."]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reward": "accuracy"}, "unknown reward 'accuracy'"),
        ({"split": "dev"}, "unknown split 'dev'"),
        ({"max_length": 0}, "max_length must be a positive integer"),
        ({"render_mode": "human"}, "unknown render_mode 'human'"),
        ({"dataset": "conll"}, "unknown dataset 'conll'"),
        ({"tag_names": ["O", "B-PER", "I-PER"]}, "not in tag_names"),
    ],
)
@pytest.mark.filterwarnings("ignore:.*render_mode")  # gym.make warns before the env raises
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gym.make("TextNER-v0", **kwargs)


def test_custom_dataset_shares_vocab_with_train(tiny_dataset: dict) -> None:
    train = TextNEREnv(dataset=tiny_dataset, split="train")
    test = TextNEREnv(dataset=tiny_dataset, split="test")
    assert train.vocab == test.vocab and train.tag_names == test.tag_names
    obs, _ = test.reset(options={"index": 0})
    assert obs["word_ids"][0] == test.vocab.index["Mary"]
    assert obs["word_ids"][1] == 1  # "works" is not in the training split: unknown
