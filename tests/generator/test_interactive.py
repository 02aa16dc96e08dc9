"""`mlpath new` without --defaults asks the questions on a terminal (a pseudo-terminal here)."""

from __future__ import annotations

import os
import pty
import select
import time
from pathlib import Path

import yaml


class Terminal:
    """A command on a pseudo-terminal: wait for text, then type."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command itself
            os.chdir(cwd)
            os.execvp(argv[0], argv)
        self.seen = ""

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {text!r}; screen so far:\n{self.seen[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the command exited
                    return

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def exit_code(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def test_new_asks_and_names_the_folder_after_the_answer(installation: Path) -> None:
    term = Terminal(["mlpath", "new", "rag-eval", "--no-git"], Path.cwd())
    term.wait_for("project_name")
    term.type("\x15asked-name\r")  # ctrl-u clears the suggested default
    term.wait_for("with_docs")
    term.type("n\r")
    term.wait_for("Next steps")

    assert term.exit_code() == 0, term.seen[-2000:]
    answers = yaml.safe_load(Path("asked-name/.copier-answers.yml").read_text())
    assert answers["project_name"] == "asked-name"
    assert answers["with_docs"] is False


def test_update_asks_the_new_question_and_lists_the_answer(installation: Path) -> None:
    from tests.conftest import git

    term = Terminal(
        ["mlpath", "new", "rag-eval", "p", "--defaults", "--vcs-ref", "v0.1.0"], Path.cwd()
    )
    term.wait_for("Next steps")
    assert term.exit_code() == 0, term.seen[-2000:]
    assert git(Path("p"), "status", "--porcelain") == ""

    term = Terminal(["mlpath", "update", "p"], Path.cwd())
    term.wait_for("Log format")
    term.type("\x15text\r")
    term.wait_for("new answer recorded")
    term.wait_for("\n")

    assert term.exit_code() == 0, term.seen[-2000:]
    assert "new answer recorded: log_format = 'text'" in term.seen
    answers = yaml.safe_load(Path("p/.copier-answers.yml").read_text())
    assert answers["log_format"] == "text"
