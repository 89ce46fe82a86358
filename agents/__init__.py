"""Agents for the textenvs environments: LLM policies with PEFT heads and their learners.

This package needs torch, transformers and peft; ``textenvs`` itself does not.
"""
