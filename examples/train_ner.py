"""Train a LoRA policy on TextNER-v0 with RLOO (or any learner), from a config, then test it.

The embedded MiniLM encoder and the built-in corpus by default; each learner starts from its
tuned settings for the env (``agents/training/presets.py``). Settings come from ``--config
FILE.yaml`` and ``key=value`` overrides (dotted keys reach sections); ``--help-config``
lists every key with its default and help::

    python examples/train_ner.py                                        # RLOO + LoRA
    python examples/train_ner.py learner=ppo                            # PPO, its tuned settings
    python examples/train_ner.py learner=supervised learner_config.epochs=2   # the baseline
    python examples/train_ner.py --config examples/configs/ner_ppo.yaml train.out=runs/ner
    python examples/train_ner.py --config examples/configs/ner_ppo.yaml train.out=runs/ner --resume
    python examples/train_ner.py --conll ../shared/data/conll2003 train.eval_limit=500

Prints the validation metric before training, the best one, the test metrics and the time;
with ``train.out`` set, the run folder holds ``log.jsonl``, ``tb/``, ``checkpoint.pt``,
``best/`` and ``results.json``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agents.cli import print_config_keys
from agents.common.config import ConfigError, load_config
from agents.training.loop import train
from agents.training.runs import RunConfig, build_run
from textenvs.data import load_conll

DEFAULTS = [  # the example's adapter and loop; the learner's settings are its tuned ones
    "peft_kwargs.r=16",
    "peft_kwargs.alpha=32",
    "peft_kwargs.target_modules=all-linear",
    "train.eval_every=20",
    "train.eval_limit=300",
    "threads=2",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*", help="key=value settings (see --help-config)")
    parser.add_argument("--config", type=Path, help="a YAML run config")
    parser.add_argument("--resume", action="store_true", help="continue the run in train.out")
    parser.add_argument("--conll", type=Path, help="a folder with eng.train, eng.testa, eng.testb")
    parser.add_argument("--help-config", action="store_true", help="list every config key")
    args = parser.parse_args()
    if args.help_config:
        print_config_keys()  # as `textenvs train --help-config`
        return
    overrides = list(args.overrides)
    if args.config is None:  # the example's own defaults, unless a file says otherwise
        overrides = DEFAULTS + overrides
    try:
        config = load_config(RunConfig, args.config, overrides)
    except ConfigError as error:
        sys.exit(f"error: {error}")
    dataset = None
    if args.conll:
        names = {"train": "eng.train", "validation": "eng.testa", "test": "eng.testb"}
        dataset = {split: load_conll(args.conll / name) for split, name in names.items()}
    built = build_run(config, dataset)
    trainable, total = built.policy.trainable_parameters()
    print(f"{config.backbone} + {config.peft}: {trainable:,} of {total:,} parameters train")
    result = train(
        built.learner, built.evaluate, config.train, resume=args.resume, run_info=built.info()
    )
    print(result.summary(config.train.eval_split))


if __name__ == "__main__":
    main()
