"""Policies: a pretrained backbone with a PEFT method, plus the heads of one task family.

``load_backbone`` loads the transformer ("minilm", "smollm2", a hub name or a local path);
:class:`TaggingPolicy`, :class:`ClassificationPolicy` and :class:`GenerativePolicy` put it to
work on the tagging, classification and generation envs, sharing :class:`PeftPolicy`.
"""

from agents.policies.backbones import Backbone, BackboneError, load_backbone, tiny_backbone
from agents.policies.base import PeftPolicy
from agents.policies.classification import ClassificationPolicy
from agents.policies.generative import GenerativePolicy
from agents.policies.peft_methods import PEFT_METHODS, PeftSpec, apply_peft
from agents.policies.tagging import TaggingPolicy

__all__ = [
    "PEFT_METHODS",
    "Backbone",
    "BackboneError",
    "ClassificationPolicy",
    "GenerativePolicy",
    "PeftPolicy",
    "PeftSpec",
    "TaggingPolicy",
    "apply_peft",
    "load_backbone",
    "tiny_backbone",
]
