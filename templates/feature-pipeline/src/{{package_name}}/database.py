"""A store's database from its URL setting, with one line naming the setting for a bad URL."""

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .errors import InputError


def open_engine(url: str, setting: str, expected: str, accepted: tuple[str, ...]) -> Engine:
    """`url` as a SQLAlchemy engine, if its dialect ("sqlite") or dialect and driver
    ("postgresql+psycopg") is one of `accepted`; otherwise an InputError naming `setting`."""
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as err:
        raise InputError(f"{setting} {url!r}: expected {expected}") from err
    dialect = engine.dialect
    if dialect.name not in accepted and f"{dialect.name}+{dialect.driver}" not in accepted:
        raise InputError(f"{setting} {url!r}: expected {expected}")
    return engine
