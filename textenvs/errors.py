"""The error every bad input raises, so that a command line can tell input from bugs.

Every error textenvs and its agents raise on purpose about what a user gave them (a data
file, an env argument, a config value, an action, a saved run or policy) is an
:class:`InputError`: a ``ValueError`` whose message names the value and where it came from.
``textenvs`` on the command line prints these as one line and exits with status 2; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input, named with where it came from (shown as one line by the command line)."""
