"""Word tokenization for environments that observe text word by word."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


def word_tokenize(text: str) -> list[str]:
    """Split text into words and punctuation marks, keeping case.

    Words keep inner hyphens and apostrophes (``"state-of-the-art"``, ``"don't"``); every
    other non-space character is a token of its own.

    >>> word_tokenize("The screen's great, but it costs $900.")
    ['The', "screen's", 'great', ',', 'but', 'it', 'costs', '$', '900', '.']
    """
    return _WORD.findall(text)
