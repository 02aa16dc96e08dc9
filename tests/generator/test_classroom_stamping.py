"""`classroom new` stamps students out of one verified Copier rendering: what it writes must be
exactly what Copier renders for that student, its uv.lock must pass `uv lock --locked`, and what
the stamp cannot carry must go through Copier."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlpath.classroom import lockfiles, stamping
from mlpath.cli import app
from mlpath.generate import new_project
from mlpath.options import NewOptions
from tests.conftest import git
from tests.generator.test_classroom_support import (
    SETTINGS_V1,
    classroom_env,  # noqa: F401  (fixture)
    write_release,
)

runner = CliRunner()
STUDENT = {
    "project_name": "ada-l",
    "author_name": "Ada Lovelace-King",
    "author_email": "ada.l+ml@school.example",
}
CLASS_DATA = {
    "serving-api": {},
    "feature-pipeline": {},
    "lora-finetune": {},
    "rag-eval": {"dense_retrieval": False},
}


def copier_rendering(template: str, data: dict[str, object], dest: Path) -> tuple[Path, str]:
    made = new_project(
        NewOptions(template=template, dest=dest, data=data, defaults=True, git=False)
    )
    return made.path, made.version


def locked(project: Path) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv")
    assert uv is not None
    return subprocess.run(
        [uv, "lock", "--locked", "--offline"], cwd=project, capture_output=True, text=True
    )


@pytest.mark.parametrize("template", sorted(CLASS_DATA))
def test_a_stamped_student_is_what_copier_renders_for_them(
    template: str, tmp_path: Path, home: Path
) -> None:
    data = {**CLASS_DATA[template], "exercises": True}
    expected, version = copier_rendering(template, {**data, **STUDENT}, tmp_path / "copier")

    stamp = stamping.build_stamp(template, data, None, version, tmp_path / "probes")

    assert stamp is not None, f"{template} can no longer be stamped"
    values = stamping.student_values(STUDENT["project_name"], STUDENT)
    assert values is not None and values["package_name"] == "ada_l"
    dest = tmp_path / "class" / "ada-l"
    note = stamping.write_student(stamp, values, dest)
    written = stamping.read_tree(dest)
    lock = written.pop("uv.lock", None)
    assert written == stamping.read_tree(expected)  # paths, bytes and modes
    if stamp.lock is None:  # uv could not lock this template here (its index is unreachable)
        assert note and lock is None
        return
    assert note is None and lock is not None
    check = locked(dest)
    assert check.returncode == 0, check.stderr
    content, _mode = lock
    assert content is not None and f'name = "{STUDENT["project_name"]}"' in content.decode()


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("José Núñez", "jose@school.example"),  # not a character the probes exercised
        ("Sam O'Brien", "sam@school.example"),
        ("True", "t@school.example"),  # YAML would quote it
        ("Ann Lee", "ann@school.example"),  # stamped
    ],
)
def test_only_plain_values_are_stamped(name: str, email: str) -> None:
    values = stamping.student_values("ann", {"author_name": name, "author_email": email})
    assert (values is not None) == (name == "Ann Lee")


@pytest.mark.parametrize("project_name", ["9lives", "a--b", "x" * 41, "class", "Ada"])
def test_a_project_name_copier_would_refuse_is_not_stamped(project_name: str) -> None:
    values = {"author_name": "Ann Lee", "author_email": "ann@school.example"}
    assert stamping.student_values(project_name, values) is None


@pytest.mark.usefixtures("classroom_env")
def test_a_template_that_transforms_a_student_answer_goes_through_copier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "shouting"
    template.mkdir()
    git(template, "init", "-q", "-b", "main")
    write_release(template, SETTINGS_V1, "# {{ project_name | upper }}\n", "v0.1.0")
    monkeypatch.setenv("MLPATH_TEMPLATE_REPO", str(template))
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "handle,name,email\nada,Ada,ada@school.example\nbob-k,Bob,bob@school.example\n"
    )
    built: list[object] = []
    real = stamping.build_stamp
    monkeypatch.setattr(
        stamping, "build_stamp", lambda *a, **k: built.append(real(*a, **k)) or built[-1]
    )

    out = tmp_path / "class"
    result = runner.invoke(
        app, ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert built == [None]  # the probes told the upper-cased names apart from the markers
    assert (out / "ada" / "README.md").read_text() == "# ADA\n"
    assert (out / "bob-k" / "README.md").read_text() == "# BOB-K\n"
    assert (out / "bob-k" / "src" / "bob_k" / "calc.py").is_file()


@pytest.mark.usefixtures("classroom_env")
def test_stamped_and_copier_students_in_one_class_match_mlpath_new(tmp_path: Path) -> None:
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "handle,name,email,project_name\n"
        "ada,Ada King,ada@school.example,\n"  # stamped
        "jose,José Núñez,jose@school.example,\n"  # Copier: an accent
        "cy,Cy,cy@school.example,cy-calc\n"  # Copier: the roster answers a question
    )
    out = tmp_path / "class"
    result = runner.invoke(
        app,
        ["classroom", "new", "rag-eval", "--roster", str(roster_csv), "--out", str(out),
         "--exercises"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    for handle, name, email, project in [
        ("ada", "Ada King", "ada@school.example", "ada"),
        ("jose", "José Núñez", "jose@school.example", "jose"),
        ("cy", "Cy", "cy@school.example", "cy-calc"),
    ]:
        answers = {"author_name": name, "author_email": email, "project_name": project}
        expected, _ = copier_rendering(
            "rag-eval", {"exercises": True, **answers}, tmp_path / "copier" / handle
        )
        written = stamping.read_tree(out / handle)
        assert written.pop("uv.lock")[0], handle
        assert {p: v for p, v in written.items() if not p.startswith(".git/") and p != ".git"} == (
            stamping.read_tree(expected)
        ), handle
        check = locked(out / handle)
        assert check.returncode == 0, (handle, check.stderr)


LOCK = """\
version = 1
requires-python = ">=3.11"

[[package]]
name = "alpha"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "mid-project"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "alpha" },
]

[[package]]
name = "zulu"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
"""


def test_the_lock_entry_is_renamed_and_moved_to_where_its_name_sorts() -> None:
    renamed = lockfiles.rename_project(LOCK, "mid_project", "zz-top")
    names = [line for line in renamed.splitlines() if line.startswith("name = ")]
    assert names == ['name = "alpha"', 'name = "zulu"', 'name = "zz-top"']
    assert renamed.count("\n\n[[package]]\n") == 3  # one blank line before each entry
    assert renamed.endswith("]\n") and not renamed.endswith("\n\n")
    assert lockfiles.rename_project(renamed, "zz-top", "mid-project") == LOCK
    assert lockfiles.rename_project(LOCK, "mid-project", "mid-project") == LOCK


@pytest.mark.parametrize(
    "lock",
    [
        LOCK.replace('{ name = "alpha" }', '{ name = "alpha" },\n    { name = "mid-project" }'),
        LOCK.replace("editable", "registry"),  # no entry of the project's own
    ],
)
def test_a_lock_that_names_the_project_elsewhere_is_refused(lock: str) -> None:
    with pytest.raises(ValueError):
        lockfiles.rename_project(lock, "mid-project", "other")
