"""mlpath's one error family. Only the CLI catches these; library code raises them.

`UserError` and its children are messages meant for people: the CLI prints them as one line and
exits with the code named on the class. Errors from Copier, Jinja, git and pydantic are wrapped
into these where those libraries are called.
"""

from __future__ import annotations


class MlpathError(Exception):
    """Root of every error mlpath raises."""

    exit_code = 1


class UserError(MlpathError):
    """Something the user can fix; the message says what and how."""

    exit_code = 2


class UnknownTemplateError(UserError):
    pass


class InvalidAnswerError(UserError):
    pass


class DestinationExistsError(UserError):
    pass


class NotAProjectError(UserError):
    pass


class DirtyWorktreeError(UserError):
    pass


class VersionError(UserError):
    pass


class TemplateSourceError(UserError):
    pass


class UpdateConflictsError(MlpathError):
    """The update finished but left conflicts for the user to resolve."""

    exit_code = 3


class GenerationError(MlpathError):
    """Copier failed for a reason that is not the user's input (a broken template, say)."""


class InterruptedWorkError(MlpathError):
    """Ctrl-C (SIGINT) stopped a command; the message says what it left behind."""

    exit_code = 130
