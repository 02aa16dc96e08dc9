"""The project's one error family: the CLI turns these into one line and a non-zero exit."""


class ProjectError(Exception):
    """Root of every error meant for the person at the keyboard."""


class ConfigError(ProjectError):
    """A configuration file or setting is missing or invalid."""


class DataError(ProjectError):
    """A dataset file is missing or a record in it is malformed."""


class ModelLoadError(ProjectError):
    """A model, tokenizer or adapter could not be loaded."""


class CheckFailedError(ProjectError):
    """A numerical check (merge equivalence, say) did not hold."""


class TrainingDivergedError(ProjectError):
    """The loss or the gradients became NaN or infinite; training stopped."""
