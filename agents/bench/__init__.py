"""The benchmark harness: agents x envs x seeds, a table, ``results.json``, a report, plots.

``textenvs bench`` is its command line. A grid is a :class:`BenchConfig`; :func:`run_bench`
runs it on the local backend (processes here) or on Ray (``ray_backend.py``), and
``report.py`` turns the rows into the table, the JSON and the plots. ``sb3.py`` lets
Stable-Baselines3 algorithms take part as agents.
"""

from agents.bench.config import BenchConfig, parse_budget
from agents.bench.report import format_table, summarize
from agents.bench.run import run_bench, run_one
from agents.bench.sb3 import SB3Agent, train_sb3

__all__ = [
    "BenchConfig",
    "SB3Agent",
    "format_table",
    "parse_budget",
    "run_bench",
    "run_one",
    "summarize",
    "train_sb3",
]
