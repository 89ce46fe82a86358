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

_ENTRY_POINTS = {
    "TextNER-v0": "textenvs.envs.ner:TextNER",
    "TextClassification-v0": "textenvs.envs.classification:TextClassification",
    "TextSummarization-v0": "textenvs.envs.generation:TextGeneration",
    "TextExtractiveSummarization-v0": "textenvs.envs.extractive:TextExtractiveSummarization",
}
ENV_IDS = tuple(_ENTRY_POINTS)
"""The ids this package registers."""

for _env_id, _entry_point in _ENTRY_POINTS.items():
    if _env_id not in registry:
        register(
            id=_env_id,
            entry_point=f"{_entry_point}Env",
            vector_entry_point=f"{_entry_point}VectorEnv",
        )
