"""mlpath: generate the four ML portfolio projects and keep them up to date."""

# Nothing is imported here at start-up: the console script's first lines run before mlpath can
# turn an interrupt into one line (see __main__.py), so they must be as short as possible.


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlpath")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"
