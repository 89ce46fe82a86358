"""textenvs: NLP tasks as Gymnasium environments.

Importing the package registers its environments, so that ``gym.make("TextNER-v0")`` and
``gym.make("textenvs:TextNER-v0")`` work. It needs only numpy and gymnasium (no torch).
"""

from gymnasium.envs.registration import register, registry

from textenvs.data import TaggedSentence, load_builtin_ner, load_conll, load_jsonl
from textenvs.metrics import corpus_span_scores, sentence_span_scores

__version__ = "0.1.0"

__all__ = [
    "TaggedSentence",
    "__version__",
    "corpus_span_scores",
    "load_builtin_ner",
    "load_conll",
    "load_jsonl",
    "sentence_span_scores",
]

ENV_IDS = ("TextNER-v0",)
"""The ids this package registers."""

if "TextNER-v0" not in registry:
    register(
        id="TextNER-v0",
        entry_point="textenvs.envs.ner:TextNEREnv",
        vector_entry_point="textenvs.envs.ner:TextNERVectorEnv",
    )
