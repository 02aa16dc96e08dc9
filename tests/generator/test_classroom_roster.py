"""The roster and the manifest: parsing, every kind of bad input, the TOML writer vs tomllib."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest

from mlpath.classroom import manifest, roster
from mlpath.classroom.manifest import Classroom, StudentRecord


def write(tmp_path: Path, content: bytes | str) -> Path:
    path = tmp_path / "roster.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_students_in_file_order_with_extra_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "handle,name,email,section,project_name\n"
        'ada,"Lovelace, Ada",ada@x.org,A,ada-rag\n'
        "\n"
        "Bob.B,Bob,bob@x.org,B,\n",
    )
    students = roster.parse_roster(path)
    assert [s.handle for s in students] == ["ada", "Bob.B"]
    assert students[0].name == "Lovelace, Ada"
    assert students[0].extra == {"section": "A", "project_name": "ada-rag"}
    assert students[1].extra == {"section": "B"}  # empty cells are no answer
    answers = roster.student_answers(students[0], {"project_name", "author_name"})
    assert answers == {
        "author_name": "Lovelace, Ada",
        "author_email": "ada@x.org",
        "project_name": "ada-rag",
    }  # `section` is no question: the instructor's own column


def test_utf8_bom_from_excel_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffhandle,name,email\nada,Ada,ada@x.org\n".encode())
    assert [s.handle for s in roster.parse_roster(path)] == ["ada"]


def test_parser_agrees_with_csv_dictreader(tmp_path: Path) -> None:
    text = 'email,handle,name\n"a@x.org",a1,"Quote ""Q"" Name"\nb@x.org,b2,"Comma, Name"\n'
    path = write(tmp_path, text)
    expected = list(csv.DictReader(path.open(newline="")))
    got = roster.parse_roster(path)
    assert [(s.handle, s.name, s.email) for s in got] == [
        (row["handle"], row["name"], row["email"]) for row in expected
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("handle,name\nada,Ada\n", "no email column"),
        ("handle,name,email\n", "no students"),
        (
            "handle,name,email\nada,Ada,a@x\nADA,Ada2,b@x\n",
            "row 3: handle 'ADA' is already on row 2",
        ),
        ("handle,name,email\nada/x,Ada,a@x\n", "'ada/x' is not a valid folder and git name"),
        ("handle,name,email\n-ada,Ada,a@x\n", "not a valid folder"),
        ("handle,name,email\nada.lock,Ada,a@x\n", "not a valid folder"),
        ("handle,name,email\na..b,Ada,a@x\n", "not a valid folder"),
        ("handle,name,email\n,Ada,a@x\n", "not a valid folder"),
        ("handle,name,email\nada,Ada\n", "row 2: 2 fields; the header has 3"),
        ("handle,name,email,handle\nada,Ada,a@x,b\n", "appears twice"),
        (b"\xff\xfeh\x00a\x00", "UTF-16"),
        # Names mlpath writes in the class folder, in any case (issue 18).
        ("handle,name,email\nada,A,a@x\nclassroom.toml,B,b@x\n", "row 3: handle 'classroom.toml'"),
        ("handle,name,email\nGradebook.CSV,A,a@x\n", "row 2: handle 'Gradebook.CSV' is a name"),
        ("handle,name,email\nFEEDBACK,A,a@x\n", "row 2: handle 'FEEDBACK' is a name mlpath"),
        ("handle,name,email\nupdate-v0.2.0.txt,A,a@x\n", "is a name mlpath writes"),
        ("handle,name,email\nExport-Canvas.CSV,A,a@x\n", "is a name mlpath writes"),
        # A newline or another control character in any cell, with its row.
        ('handle,name,email\nada,A,a@x\nbob,"Bob\nEvil",b@x\n', "row 3: column 'name' holds"),
        ("handle,name,email\nada,A\x07da,a@x\n", "row 2: column 'name' holds a control"),
        ('handle,name,email,section\nada,A,a@x,"s\r1"\n', "column 'section' holds a control"),
        ("handle,name,email\nada,Ada,\n", "row 2: empty email"),
        (b"handle,name,email\nad\xe9,A,a@x\n", "not UTF-8"),
    ],
)
def test_bad_rosters_are_one_clear_error(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    with pytest.raises(roster.RosterError, match="roster") as err:
        roster.parse_roster(write(tmp_path, content))
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_roster_file(tmp_path: Path) -> None:
    with pytest.raises(roster.RosterError, match="no such file"):
        roster.parse_roster(tmp_path / "nope.csv")


def test_manifest_round_trips_through_tomllib(tmp_path: Path) -> None:
    tricky = 'quote " backslash \\ tab \t newline \n del \x7f bell \x07 unicode é 漢'
    room = Classroom(
        template="rag-eval",
        source="~/.local/share/mlpath/templates/rag-eval.bundle",
        version="v0.1.0",
        exercises=True,
        remote="git@github.com:course/{handle}-rag.git",
        data={"author_name": tricky, "dense retrieval": "false"},
        students=(
            StudentRecord("ada", tricky, "a@x.org", "ada", "r", manifest.PUSHED, "", "v0.1.0"),
            StudentRecord("bob", "Bob", "b@x.org", "bob", "", manifest.FAILED, tricky),
        ),
    )
    text = manifest.to_toml(room)
    tomllib.loads(text)  # valid TOML, by the standard library's parser
    manifest.save(tmp_path, room)
    assert manifest.load(tmp_path) == room


def test_a_folder_without_manifest_is_not_a_classroom(tmp_path: Path) -> None:
    with pytest.raises(manifest.NotAClassroomError, match="not a classroom"):
        manifest.load(tmp_path)
    (tmp_path / manifest.MANIFEST_FILE).write_text("[classroom]\ntemplate = 1\n")
    with pytest.raises(manifest.NotAClassroomError, match="not a valid classroom manifest"):
        manifest.load(tmp_path)


def test_the_reserved_handles_are_the_names_mlpath_writes_in_a_class_folder() -> None:
    from mlpath.classroom import gradebook

    written = {manifest.MANIFEST_FILE, manifest.GRADING_DIR}
    written |= {gradebook.GRADEBOOK_FILE, gradebook.FEEDBACK_DIR}
    assert written == set(roster.CLASS_FOLDER_NAMES)
