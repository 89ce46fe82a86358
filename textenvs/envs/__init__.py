"""The environments. Registered with Gymnasium when ``textenvs`` is imported."""

from textenvs.envs.ner import InvalidActionError, TextNEREnv, TextNERVectorEnv

__all__ = ["InvalidActionError", "TextNEREnv", "TextNERVectorEnv"]
