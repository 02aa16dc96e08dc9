"""Answers: parsing `--data key=value`, checking them against the questions, reading a project's.

Copier accepts unknown data silently and casts any string to a bool; mlpath refuses both, so a
typo in `--data` is an error instead of a project that quietly ignored it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidAnswerError, NotAProjectError

ANSWERS_FILE = ".copier-answers.yml"
BOOL_WORDS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}


def parse_data(items: Iterable[str]) -> dict[str, str]:
    data = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidAnswerError(f"--data {item!r}: expected KEY=VALUE")
        data[key.strip()] = value
    return data


def check_value(name: str, raw: Any, question: Mapping[str, Any]) -> None:
    """Refuse a command-line string the question's type cannot hold (Copier would cast it)."""
    if not isinstance(raw, str):
        return
    kind = question.get("type", "yaml")
    if kind == "bool" and raw.strip().lower() not in BOOL_WORDS:
        raise InvalidAnswerError(f"--data {name}={raw}: expected true or false")
    if kind in {"int", "float"}:
        try:
            int(raw) if kind == "int" else float(raw)
        except ValueError:
            raise InvalidAnswerError(f"--data {name}={raw}: expected a number ({kind})") from None


def check_names_and_types(data: Mapping[str, Any], questions: Mapping[str, Any]) -> None:
    """Every --data key is a question of the template, with a value its type can hold."""
    unknown = sorted(set(data) - set(questions))
    if unknown:
        raise InvalidAnswerError(
            f"--data {unknown[0]}: no such question; the questions are: {', '.join(questions)}"
        )
    for name, value in data.items():
        check_value(name, value, questions[name] or {})


def check_data(
    data: Mapping[str, Any], questions: Mapping[str, Any], recorded: Mapping[str, Any]
) -> None:
    """Every --data key is a question this template asked (so Copier recorded it)."""
    check_names_and_types(data, questions)
    asked = [name for name in questions if name in recorded]
    for name, value in data.items():
        default = (questions[name] or {}).get("default")
        if name not in recorded and str(value).strip().lower() != str(default).lower():
            raise InvalidAnswerError(
                f"--data {name}: template {recorded.get('template')} does not ask it; "
                f"its questions are: {', '.join(asked)}"
            )


def read_answers(project: Path) -> dict[str, Any]:
    path = project / ANSWERS_FILE
    if not path.is_file():
        raise NotAProjectError(
            f"{project}: not an mlpath/Copier project (no {ANSWERS_FILE}); "
            "run this inside a generated project or pass its path"
        )
    try:
        answers = yaml.safe_load(path.read_text()) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        at = f" (line {where.line + 1})" if where is not None else ""
        raise NotAProjectError(f"{path}: not valid YAML{at}; restore it from git") from None
    if not isinstance(answers, dict):
        raise NotAProjectError(f"{path}: expected a mapping of answers; restore it from git")
    if "_src_path" not in answers or "_commit" not in answers:
        raise NotAProjectError(f"{path}: has no _src_path/_commit; it cannot be updated")
    return dict(answers)


def user_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if not key.startswith("_")}
