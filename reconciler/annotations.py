"""GitHub Actions annotations (`::error file=…,line=…,col=…::message`) for located messages.

Every config message sesctl writes starts with `file:line:column: `; that prefix becomes the
annotation's properties, so the message is shown on the line of the pull request's diff.
Values are escaped as the workflow-command format requires.
"""

from __future__ import annotations

import re

_LOCATED = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+): (?P<text>.*)$", re.DOTALL)


def annotation(level: str, message: str) -> str:
    """One workflow command of `level` (error, warning, notice) for the message."""
    found = _LOCATED.match(message)
    if found is None:
        return f"::{level}::{_data(message)}"
    properties = ",".join(f"{key}={_property(found[key])}" for key in ("file", "line", "col"))
    return f"::{level} {properties}::{_data(found['text'])}"


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
