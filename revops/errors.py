"""Errors a user can fix. The CLI prints their message and exits with status 2.

Domain packages (scoring, forecasting, territory) never import revops; they raise their own
``ValueError`` subclasses, and the CLI treats any ``ValueError`` raised from one of our packages
the same way (see :func:`revops.cli.is_user_error`).
"""


class RevopsError(ValueError):
    """A problem with the user's input or configuration, explained in the message."""


class ConfigError(RevopsError):
    """The plan file or a command-line option is wrong."""
