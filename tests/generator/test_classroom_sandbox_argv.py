"""The bubblewrap command line itself: what the sandbox is made of (no bwrap needed to run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpath.classroom import sandbox


def test_the_sandbox_has_its_own_namespaces_and_only_the_binds_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "bwrap", lambda: "/usr/bin/bwrap")
    env = tmp_path / "class" / "_grading" / "env"
    env.mkdir(parents=True)
    (env / "pyvenv.cfg").write_text("home = /opt/python-3.11/bin\nversion_info = 3.11.7\n")
    probe = tmp_path / "work" / "grading" / "probe"
    argv = sandbox.bwrap_argv(
        env, [sandbox.Mount(probe, Path("/grading/tests/probe"))], sandbox.Limits()
    )
    for flag in ("--unshare-all", "--die-with-parent", "--new-session"):
        assert flag in argv
    assert argv[-1] == "--" and argv[argv.index("--remount-ro") + 1] == "/"
    sources = [argv[i + 1] for i, a in enumerate(argv) if a in {"--bind", "--ro-bind"}]
    writable = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert writable == []  # the only writable places are the capped tmpfs at /work and /tmp
    assert str(env) in sources and str(probe) in sources and "/opt/python-3.11" in sources
    assert not [
        s for s in sources if s.startswith(str(tmp_path)) and s not in {str(env), str(probe)}
    ]
    assert str(Path.home()) not in sources and "/" not in sources and "/etc" not in sources
    sizes = [argv[i + 1] for i, a in enumerate(argv) if a == "--size"]
    assert sizes == [str(sandbox.Limits().scratch_bytes)] * 2


def test_the_limits_are_applied_inside_before_the_student_code() -> None:
    argv = sandbox.prlimit_argv(sandbox.Limits(memory_bytes=123, file_bytes=45, open_files=67))
    assert argv[0] == "prlimit" and argv[-1] == "--"
    assert {"--as=123", "--fsize=45", "--nofile=67", "--core=0"} <= set(argv)
    nproc = next(a for a in argv if a.startswith("--nproc="))
    assert int(nproc.removeprefix("--nproc=")) >= sandbox.PROCESS_MARGIN


def test_no_bwrap_is_one_line_naming_the_package_and_the_opt_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox, "bwrap", lambda: None)
    with pytest.raises(sandbox.SandboxUnavailableError) as err:
        sandbox.check_available()
    message = str(err.value)
    assert "\n" not in message and "bubblewrap" in message and sandbox.UNSAFE_FLAG in message
