"""mlpath: generate the four ML portfolio projects and keep them up to date."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlpath")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
