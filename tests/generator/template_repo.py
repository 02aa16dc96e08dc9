"""A small mlpath-shaped template repository with two releases, built in a temp folder.

v0.1.0 and v0.2.0 differ the ways an update must handle: a changed line, a changed line the user
also edits, a renamed file, a new file, a file the template deletes, a file the user will delete,
and a new question.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git

# The settings and the two questions every test template repository starts with.
COPIER_HEADER = """\
_subdirectory: "templates/{{ template }}"
_answers_file: .copier-answers.yml
_templates_suffix: .jinja
template:
  type: str
  choices: [serving-api, feature-pipeline, lora-finetune, rag-eval]
project_name:
  type: str
  default: "my-{{ template }}"
  validator: "{% if not (project_name | regex_search('^[a-z][a-z0-9-]*$')) %}bad name{% endif %}"
"""
V1_QUESTIONS = """\
with_docs:
  type: bool
  default: true
api_port:
  type: int
  default: 8000
  when: "{{ template == 'serving-api' }}"
"""
COPIER_YML = COPIER_HEADER + V1_QUESTIONS

V1 = {
    "README.md.jinja": "# {{ project_name }}\n\nServed by version one.\n",
    "app.py": "PORT = 8000\nWORKERS = 1\n" + "# -\n" * 8 + 'LOG_LEVEL = "info"\n',
    "old_name.txt": "a file the next release renames\n",
    "deleted_by_user.txt": "the user removes this file\n",
    "removed_in_v2.txt": "a file the next release deletes\n",
}
V2 = {
    "README.md.jinja": "# {{ project_name }}\n\nServed by version two.\n",
    "app.py": "PORT = 8000\nWORKERS = 4\n" + "# -\n" * 8 + 'LOG_LEVEL = "info"\n',
    "new_name.txt": "a file the next release renames\n",
    "deleted_by_user.txt": "the user removes this file\n",
    "added_in_v2.txt": "new in v0.2.0\n",
}
V2_QUESTIONS = """\
log_format:
  type: str
  help: Log format
  default: json
"""
ANSWERS = "{{ _copier_answers|to_nice_yaml -}}\n"
TEMPLATES = ("serving-api", "feature-pipeline", "lora-finetune", "rag-eval")


def write_release(root: Path, files: dict[str, str], tag: str, questions: str = "") -> None:
    (root / "copier.yml").write_text(COPIER_YML + questions)
    for template in TEMPLATES:
        template_dir = root / "templates" / template
        if template_dir.exists():
            for old in template_dir.iterdir():
                old.unlink()
        template_dir.mkdir(parents=True, exist_ok=True)
        (template_dir / "{{_copier_conf.answers_file}}.jinja").write_text(ANSWERS)
        for name, text in files.items():
            (template_dir / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"release {tag}")
    git(root, "tag", tag)


def make_template_repo(root: Path) -> Path:
    """An installation's template repository holding only v0.1.0."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write_release(root, V1, "v0.1.0")
    return root


def newer_installation(older: Path, root: Path) -> Path:
    """A later installation: the older history plus v0.2.0, in its own repository."""
    git(older.parent, "clone", "-q", str(older), str(root))
    write_release(root, V2, "v0.2.0", V2_QUESTIONS)
    return root
