"""A training run from one config: env, policy, learner, evaluation, the training loop.

``RunConfig`` names everything a run needs; :func:`build_run` turns it into live objects and
:func:`run` trains and evaluates. The examples, the benchmarks and the command line all start
runs here, so a YAML file describes a run the same way everywhere::

    env: TextNER-v0
    env_kwargs: {reward: delta_f1}
    learner: ppo
    learner_config: {updates: 60, learning_rate: 1.0e-3}
    train: {out: runs/ner-ppo, eval_every: 10, eval_limit: 200}
"""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

import textenvs  # noqa: F401  (registers the env ids)
from agents.common import distributed
from agents.common.config import ConfigError, from_dict
from agents.common.evaluation import evaluate
from agents.learners.base import Learner, LearnerConfig
from agents.learners.group_pg import GroupConfig, GroupPolicyGradient
from agents.learners.ppo import PPO, PPOConfig, a2c_config
from agents.learners.reinforce import Reinforce, ReinforceConfig
from agents.learners.supervised import (
    SupervisedClassifier,
    SupervisedConfig,
    SupervisedGenerator,
    SupervisedTagger,
)
from agents.policies.backbones import load_backbone
from agents.policies.classification import ClassificationPolicy
from agents.policies.generative import GenerativePolicy
from agents.policies.peft_methods import PEFT_METHODS, PeftSpec
from agents.policies.tagging import TaggingPolicy
from agents.training.loop import BEST, TrainConfig, TrainResult, train
from agents.training.presets import tuned_settings
from agents.training.replay import load_data, with_replay
from textenvs.errors import InputError

LEARNERS = ("ppo", "a2c", "reinforce", "rloo", "grpo", "supervised")


DEVICE_TYPES = ("cpu", "cuda", "mps")
"""The kinds of device ``RunConfig.device`` may name (besides ``"auto"``)."""


@dataclass
class RunConfig:
    """One training run; every field says what it does."""

    env: str = field(default="TextNER-v0", metadata={"help": "registered env id"})
    env_kwargs: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "arguments of gym.make (reward, max_length, ...)"}
    )
    learner: str = field(
        default="rloo", metadata={"help": f"one of {', '.join(LEARNERS)} (rloo: the best RL here)"}
    )
    learner_config: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "the learner's settings (see its config class)"}
    )
    backbone: str = field(default="minilm", metadata={"help": "embedded name, hub name or path"})
    peft: str = field(default="lora", metadata={"help": f"one of {', '.join(PEFT_METHODS)}"})
    peft_kwargs: dict[str, Any] = field(
        default_factory=dict,
        metadata={"help": "PeftSpec settings (r, alpha, target_modules, adapter_size, ...)"},
    )
    policy_kwargs: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "extra arguments of the policy class"}
    )
    data: str | None = field(
        default=None,
        metadata={"help": "a dataset folder (train/validation/test files); None: built-in"},
    )
    num_envs: int | None = field(
        default=None,
        metadata={"help": "sub-envs of the training vector env (None: the tuned number, or 32)"},
    )
    tuned: bool = field(
        default=True,
        metadata={
            "help": "start from the tuned settings of this env and learner "
            "(agents.training.presets); false: the learner's bare defaults"
        },
    )
    seed: int = field(default=0, metadata={"help": "seed of everything (learner included)"})
    threads: int | None = field(
        default=None, metadata={"help": "torch CPU threads (None: torch's)"}
    )
    device: str = field(
        default="auto",
        metadata={
            "help": "where the policy trains: 'auto' (a CUDA GPU when there is one, else the "
            "CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'; data-parallel processes take one GPU each"
        },
    )
    init_from: str | None = field(
        default=None,
        metadata={
            "help": "start from a trained policy (a run folder or a saved policy): its adapter "
            "is merged into the backbone, which is also the KL reference, and a new adapter "
            "trains on top (SFT, then RL)"
        },
    )
    replay_data: str | None = field(
        default=None,
        metadata={
            "help": "old data to replay while re-fine-tuning (with init_from): a dataset "
            "folder, or 'builtin' for the env's built-in corpus"
        },
    )
    replay_fraction: float = field(
        default=0.0,
        metadata={
            "help": "share of the training split drawn from replay_data, in [0, 1) (0.5: as "
            "many old records as new)"
        },
    )
    train: TrainConfig = field(default_factory=TrainConfig, metadata={"help": "the loop"})

    def __post_init__(self) -> None:
        if not (isinstance(self.replay_fraction, (int, float)) and 0 <= self.replay_fraction < 1):
            raise InputError(f"replay_fraction must be in [0, 1), got {self.replay_fraction!r}")
        if (self.replay_fraction > 0) != (self.replay_data is not None):
            raise InputError(
                "replay needs both replay_data (the old data) and replay_fraction > 0; got "
                f"replay_data={self.replay_data!r}, replay_fraction={self.replay_fraction!r}"
            )
        if ":" in self.env:  # gym.make("pkg.module:Env-v0") imports pkg.module
            raise InputError(
                f"env {self.env!r}: an id with a module prefix would import code; give a "
                "registered id (import the package that registers it first)"
            )
        if self.env not in gym.registry:
            raise InputError(f"unknown env {self.env!r}; see `textenvs list`")
        if self.learner not in LEARNERS:
            raise InputError(f"unknown learner {self.learner!r}; choose one of {LEARNERS}")
        if self.threads is not None and self.threads < 1:
            raise InputError(f"threads must be >= 1 (or None), got {self.threads!r}")
        if self.num_envs is not None and self.num_envs < 1:
            raise InputError(f"num_envs must be >= 1, got {self.num_envs!r}")
        if self.device != "auto":
            try:
                kind = torch.device(self.device).type
            except (RuntimeError, TypeError):
                kind = None
            if kind not in DEVICE_TYPES:
                raise InputError(
                    f"device {self.device!r}: give 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"
                )


def run_device(name: str) -> torch.device:
    """The device of ``RunConfig.device`` ``name`` on this machine.

    ``"auto"`` is the first CUDA GPU when torch sees one, else the CPU.

    Raises:
        InputError: the device asked for is not on this machine.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise InputError(
                f"device {name!r}: torch sees {count} CUDA GPU(s) here; give device=cpu "
                "or device=auto"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise InputError(f"device {name!r}: MPS is not available here; give device=cpu")
    return device


@dataclass
class Run:
    """A built run: what :func:`agents.training.loop.train` needs."""

    config: RunConfig
    policy: Any
    learner: Learner
    evaluate: Callable[[str, int | None], dict[str, float]]

    def info(self) -> dict[str, Any]:
        """What ``results.json`` records about the run besides its results."""
        return {
            "env": self.config.env,
            "learner": self.config.learner,
            "seed": self.config.seed,
            "backbone": self.config.backbone,
            "peft": self.config.peft,
            "run_config": dataclasses.asdict(self.config),
            "learner_settings": dataclasses.asdict(self.learner.config),
        }


LEARNER_CONFIGS: dict[str, type[LearnerConfig]] = {
    "ppo": PPOConfig,
    "a2c": PPOConfig,
    "reinforce": ReinforceConfig,
    "rloo": GroupConfig,
    "grpo": GroupConfig,
    "supervised": SupervisedConfig,
}
"""Each learner's settings class: the keys ``learner_config`` takes."""

# What a resumed run may change: how long it goes on, and the loop's own settings.
RESUMABLE_LEARNER_KEYS = ("updates", "epochs")
FIXED_ON_RESUME = (
    "env",
    "env_kwargs",
    "learner",
    "backbone",
    "peft",
    "peft_kwargs",
    "policy_kwargs",
    "data",
    "num_envs",
    "seed",
    "replay_data",
    "replay_fraction",
)


def check_resumable(saved: RunConfig, new: RunConfig) -> None:
    """Raise a ConfigError naming the first setting a resumed run may not change.

    A resumed run may train longer (``learner_config.updates`` / ``epochs``,
    ``train.max_seconds``) and change the loop's settings (``train.*``); everything that
    shapes the policy, the envs or the learner's state stays as it was saved.
    """
    for name in FIXED_ON_RESUME:
        before, after = getattr(saved, name), getattr(new, name)
        if before != after:
            raise ConfigError(
                f"{name} cannot change on resume (the run has {before!r}, not {after!r}): "
                "start a new run in another --out"
            )
    keys = set(saved.learner_config) | set(new.learner_config)
    for key in sorted(keys - set(RESUMABLE_LEARNER_KEYS)):
        before, after = saved.learner_config.get(key), new.learner_config.get(key)
        if before != after:
            raise ConfigError(
                f"learner_config.{key} cannot change on resume (the run has {before!r}, not "
                f"{after!r}); only {' and '.join(RESUMABLE_LEARNER_KEYS)} can"
            )


def with_tuned_settings(config: RunConfig) -> RunConfig:
    """``config`` over the tuned settings of its env and learner (if ``config.tuned``).

    What ``config`` sets itself wins over the tuned values; ``num_envs`` becomes the tuned
    number, else 32.
    """
    preset = tuned_settings(config.env, config.learner) if config.tuned else {}
    return dataclasses.replace(
        config,
        env_kwargs={**preset.get("env_kwargs", {}), **config.env_kwargs},
        learner_config={**preset.get("learner_config", {}), **config.learner_config},
        num_envs=config.num_envs or preset.get("num_envs", 32),
    )


def learner_config(config: RunConfig) -> LearnerConfig:
    """The learner's config object from ``config.learner_config`` (seed from the run)."""
    config = with_tuned_settings(config)
    settings = {"seed": config.seed, **config.learner_config}
    where = f"learner_config ({config.learner})"
    if config.learner == "supervised":
        return from_dict(SupervisedConfig, settings, where)
    if config.learner == "ppo":
        return from_dict(PPOConfig, settings, where)
    if config.learner == "a2c":
        base = dataclasses.asdict(a2c_config())
        return from_dict(PPOConfig, {**base, **settings}, where)
    if config.learner == "reinforce":
        return from_dict(ReinforceConfig, settings, where)
    settings.setdefault("examples_per_update", max(1, config.num_envs // settings.get("k", 4)))
    return from_dict(GroupConfig, {"method": config.learner, **settings}, where)


def build_policy(config: RunConfig, dataset: Any = None, train_env: gym.Env | None = None) -> Any:
    """The policy class that fits the env, on the configured backbone and PEFT method.

    ``train_env``: the run's training env if it is already made (else it is made here).
    """
    try:
        peft = PeftSpec(config.peft, **config.peft_kwargs)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"peft / peft_kwargs: {error}") from None
    env = train_env if train_env is not None else make_checked_env(config, dataset, "train")
    env = env.unwrapped
    policy_class: type[Any] = GenerativePolicy
    arguments: tuple[Any, ...] = ()
    fixed: dict[str, Any] = {}
    if hasattr(env, "tag_names"):
        policy_class, arguments = TaggingPolicy, (env.tag_names,)
    elif hasattr(env, "label_names"):
        policy_class, arguments = ClassificationPolicy, (env.label_names,)
        fixed = {"mode": config.env_kwargs.get("mode", "read")}
    accepted = inspect.signature(policy_class.__init__).parameters
    unknown = sorted(set(config.policy_kwargs) - set(accepted))
    if unknown:  # before the backbone loads
        raise ConfigError(f"policy_kwargs: {policy_class.__name__} takes no {unknown[0]!r}")
    if config.init_from is not None:
        policy = start_policy(config, policy_class, peft, fixed)
        if arguments:  # tagging and classification: the start must know the env's tags / classes
            try:
                policy.check_env(env)
            except InputError as error:
                raise ConfigError(f"init_from {config.init_from}: {error}") from None
        return policy
    backbone = load_backbone(config.backbone)
    return policy_class(backbone, *arguments, peft, **fixed, **config.policy_kwargs)


def start_policy(
    config: RunConfig, policy_class: type[Any], peft: PeftSpec, fixed: dict[str, Any]
) -> Any:
    """``config.init_from``'s policy, merged, with a new ``peft`` adapter (see ``init_from``).

    ``policy_kwargs`` replace the saved policy's arguments (its tags or classes stay, and
    :func:`build_policy` checks them against the env's). ``config.backbone`` is not used:
    the saved policy names its own.
    """
    source = Path(str(config.init_from))
    if (source / BEST / "policy_config.json").is_file():  # a run folder: its best policy
        source = source / BEST
    if not (source / "policy_config.json").is_file():
        raise ConfigError(f"init_from: {source} holds no saved policy (policy_config.json)")
    return policy_class.starting_from(source, peft, **fixed, **config.policy_kwargs)


def make_checked_env(config: RunConfig, dataset: Any, split: str) -> gym.Env:
    """``config``'s env on ``split``, or a ConfigError naming what is wrong with it."""
    try:
        return gym.make(config.env, split=split, dataset=dataset, **config.env_kwargs)
    except TypeError as error:  # an argument the env does not take
        raise ConfigError(
            f"env {config.env} with env_kwargs {config.env_kwargs}: "
            f"{str(error).splitlines()[0].split(' was raised')[0]}"
        ) from None


def check_splits(config: RunConfig, dataset: Any) -> gym.Env:
    """Fail now, not after training, on a split the data does not have; the train env."""
    evaluated = config.train.eval_split if config.train.eval_every else None
    for split in (evaluated, config.train.test_split):
        if split is not None:
            make_checked_env(config, dataset, split)
    return make_checked_env(config, dataset, "train")


def build_run(config: RunConfig, dataset: Any = None, policy: Any = None) -> Run:
    """Make the env, the policy (unless given) and the learner of ``config``.

    Args:
        config: the run.
        dataset: the envs' ``dataset=`` (records by split); None for the built-in corpus.
        policy: a policy to train instead of a new one.
    """
    config = with_tuned_settings(config)
    settings = learner_config(config)
    dataset = run_dataset(config, dataset)  # the policy's tags come from the data
    train_env = check_splits(config, dataset)  # every value is checked before a model loads
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    processes = distributed.current()
    device = processes.device if processes.enabled else run_device(config.device)
    policy = policy if policy is not None else build_policy(config, dataset, train_env)
    policy.to(device)  # data-parallel: one GPU per process (the CPU under gloo)
    kwargs = env_kwargs(config, policy, dataset, mixed=True)
    learner: Learner
    if config.learner == "supervised":
        corpus = gym.make(config.env, split="train", **kwargs).unwrapped.corpus
        if hasattr(corpus, "sentences"):
            learner = SupervisedTagger(policy, list(corpus.sentences), settings)
        elif hasattr(corpus, "label_ids"):
            texts = [list(words[:n]) for words, n in zip(corpus.tokens, corpus.visible)]
            labels = [int(label) for label in corpus.label_ids]
            learner = SupervisedClassifier(policy, texts, labels, settings)
        elif isinstance(policy, GenerativePolicy):
            learner = SupervisedGenerator(policy, list(corpus.examples), settings)
        else:
            raise ConfigError(
                f"no supervised baseline for {config.env} yet (tagging, classification and "
                "generation)"
            )
    else:
        # With N data-parallel processes, num_envs and examples_per_update are global: each
        # process steps its share of them.
        if isinstance(settings, GroupConfig):
            groups = processes.share(settings.examples_per_update, "examples_per_update")
            num_envs = groups * settings.k
        else:
            num_envs = processes.share(config.num_envs, "num_envs")
        envs = gym.make_vec(config.env, num_envs=num_envs, split="train", **kwargs)
        if isinstance(settings, PPOConfig):
            learner = PPO(policy, envs, settings)
        elif isinstance(settings, ReinforceConfig):
            learner = Reinforce(policy, envs, settings)
        else:
            learner = GroupPolicyGradient(policy, envs, settings)

    def evaluate_policy(split: str, limit: int | None) -> dict[str, float]:
        return evaluate(
            policy, config.env, split=split, limit=limit, num_envs=config.train.eval_envs, **kwargs
        )

    return Run(config, policy, learner, evaluate_policy)


def run_dataset(config: RunConfig, dataset: Any = None) -> Any:
    """The envs' ``dataset=`` of ``config``, with its replay mixed into the training split.

    ``dataset`` if given, else ``config.data``'s folder, else the built-in corpus (None).
    """
    if dataset is None and config.data is not None:
        dataset = load_data(config.env, config.data)
    if config.replay_fraction == 0:
        return dataset
    assert config.replay_data is not None  # checked by RunConfig
    return with_replay(config.env, dataset, config.replay_data, config.replay_fraction, config.seed)


def env_kwargs(
    config: RunConfig, policy: Any, dataset: Any = None, mixed: bool = False
) -> dict[str, Any]:
    """The ``gym.make`` arguments of ``config``'s envs for ``policy``.

    The dataset is ``dataset``, else ``config.data``'s folder, else the built-in corpus, with
    the replay mixed in (``mixed``: ``dataset`` is :func:`run_dataset`'s already); a
    language model's env speaks the model's tokenizer.
    """
    config = with_tuned_settings(config)
    kwargs = {"dataset": dataset if mixed else run_dataset(config, dataset), **config.env_kwargs}
    if hasattr(policy, "sequence_logprobs"):
        kwargs.setdefault("tokenizer", policy.tokenizer)
    return kwargs


POLICY_CLASSES = {
    cls.__name__: cls for cls in (TaggingPolicy, ClassificationPolicy, GenerativePolicy)
}


def load_policy(directory: str | Path) -> Any:
    """Load a saved policy of any class (the one its ``policy_config.json`` names)."""
    path = Path(directory) / "policy_config.json"
    try:
        name = json.loads(path.read_text(encoding="utf-8"))["policy"]
    except (OSError, ValueError, KeyError) as error:
        raise InputError(f"{directory}: not a saved policy ({error})") from None
    if name not in POLICY_CLASSES:
        raise InputError(f"{path}: unknown policy class {name!r}")
    return POLICY_CLASSES[name].load(directory)


def run(config: RunConfig, dataset: Any = None, resume: bool = False) -> TrainResult:
    """Build and train ``config``'s run; see :func:`agents.training.loop.train`."""
    built = build_run(config, dataset)
    return train(built.learner, built.evaluate, config.train, resume=resume, run_info=built.info())
