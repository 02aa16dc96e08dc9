"""The project's one error family; only the CLI catches it and turns it into one line."""


class PipelineError(Exception):
    """Root of every error this project raises on purpose."""


class InputError(PipelineError):
    """Bad input (a file, a setting, an argument); the message says what was expected."""


class SkewCheckFailedError(PipelineError):
    """Offline and serving features disagree beyond the configured thresholds."""
