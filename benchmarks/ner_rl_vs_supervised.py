"""RL against supervised fine-tuning on CoNLL-2003 NER: ``rl_vs_supervised.py --task ner``.

Usage: ``python benchmarks/ner_rl_vs_supervised.py --data ../shared/data/conll2003``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rl_vs_supervised import main

if __name__ == "__main__":
    main(["--task", "ner", *sys.argv[1:]])
