"""The one exception type a user sees: a plain message, never a traceback."""

from __future__ import annotations


class SesctlError(Exception):
    """A user-facing error: the message says what went wrong and where."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(SesctlError):
    """Invalid configuration; the message starts with file:line:column."""


class ApiError(SesctlError):
    """An SES (or other AWS) call failed for good, after botocore's retries."""

    def __init__(self, message: str, code: str = "", retried: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retried = retried  # botocore retried the call: an earlier attempt may have landed


class NotConnected(SesctlError):
    """The connection to the endpoint never opened: the service received nothing."""


class Interrupted(SesctlError):
    """Ctrl-C: nothing new starts; what was on the wire finished (exit 130, as a shell says)."""

    exit_code = 130


class GuardError(SesctlError):
    """A safety guard refused the plan (Terraform-style exit 3)."""

    exit_code = 3
