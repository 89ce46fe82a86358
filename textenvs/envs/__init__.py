"""The environments. Registered with Gymnasium when ``textenvs`` is imported."""

from textenvs.envs.classification import TextClassificationEnv, TextClassificationVectorEnv
from textenvs.envs.common import InvalidActionError
from textenvs.envs.ner import TextNEREnv, TextNERVectorEnv

__all__ = [
    "InvalidActionError",
    "TextClassificationEnv",
    "TextClassificationVectorEnv",
    "TextNEREnv",
    "TextNERVectorEnv",
]
