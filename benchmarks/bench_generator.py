"""Wall time of `mlpath new`, `diff`, `update` and `check` against Copier's own commands.

Each pair runs as whole processes, alternating (these machines are noisy: a ratio from
alternating runs beats two absolute numbers), under a throwaway HOME with the template history
already placed. The update runs on a template repository built from this checkout: v0.1.0 is the
templates as committed, v0.2.0 the same with lines added to a partial every template
includes (its .gitignore).

    python benchmarks/bench_generator.py [--runs 7] [--template serving-api] [--upgrade]

Targets (issue 7): `mlpath new` (same work: no git, no lock) within 1.2x of raw `copier copy`;
`mlpath update` (scratch clone, atomic landing) within 1.2x of raw `copier update` on the same
project. Issue 19: `mlpath diff` (one render of the recorded version) within 1.2x of `copier copy`
of that version, and `mlpath check` under 1 s. `mlpath new` with `git init`, the first commit and
`uv lock` is shown beside them: that is work Copier does not do. `--upgrade` also times the
upgrade check (tests/upgrade.py: generate at the previous release, edit, update, install, lint,
typecheck, test) once per template.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return time.perf_counter() - start


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **IDENTITY}
    )


def two_release_repo(root: Path) -> Path:
    """This checkout's committed templates as v0.1.0, plus a v0.2.0 with changed READMEs."""
    git(REPO, "clone", "-q", "--no-local", str(REPO), str(root))
    git(root, "tag", "--force", "v0.1.0")
    shared = root / "templates" / "_shared" / "gitignore"  # every template includes it
    shared.write_text(shared.read_text() + "# added in v0.2.0\n*.log\n")
    git(root, "commit", "-qam", "v0.2.0")
    git(root, "tag", "--force", "v0.2.0")
    return root


def bench_new(template: str, runs: int, env: dict[str, str], work: Path) -> dict[str, float]:
    subprocess.run(["mlpath", "list"], env=env, check=True, capture_output=True)  # place history
    bundle = str(
        Path(env["HOME"]) / ".local/share/mlpath/override-templates" / f"{template}.bundle"
    )
    commands = {
        "copier copy": [
            "copier",
            "copy",
            "--quiet",
            "--defaults",
            "--data",
            f"template={template}",
            bundle,
            "{dest}",
        ],
        "mlpath new --no-git --no-lock": [
            *["mlpath", "new", template, "{dest}", "--defaults", "--no-git", "--no-lock"]
        ],
        "mlpath new --no-lock": ["mlpath", "new", template, "{dest}", "--defaults", "--no-lock"],
        "mlpath new": ["mlpath", "new", template, "{dest}", "--defaults"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs):
        for name, cmd in commands.items():
            dest = work / f"new-{i}-{name.replace(' ', '-')}"
            times[name].append(
                timed([part.replace("{dest}", str(dest)) for part in cmd], env, work)
            )
            shutil.rmtree(dest)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_update(template: str, runs: int, env: dict[str, str], work: Path) -> dict[str, float]:
    project = work / "to-update"
    subprocess.run(
        ["mlpath", "new", template, str(project), "--defaults", "--vcs-ref", "v0.1.0", "--no-lock"],
        env=env,
        check=True,
        capture_output=True,
    )
    times: dict[str, list[float]] = {"mlpath update": [], "copier update": []}
    commands = {
        "mlpath update": ["mlpath", "update", "--defaults", str(project)],
        "copier update": [
            "copier",
            "update",
            "--quiet",
            "--defaults",
            "--skip-answered",
            str(project),
        ],
    }
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd, env, work))
            git(project, "reset", "-q", "--hard", "HEAD")
            git(project, "clean", "-qfd")
    return {name: statistics.median(values) for name, values in times.items()}


def bench_check_diff(template: str, runs: int, env: dict[str, str], work: Path) -> dict[str, float]:
    """`mlpath diff` (one pristine render) against `copier copy` of the same version, alternating;
    `mlpath check` beside them (it renders nothing)."""
    project = work / "to-diff"
    subprocess.run(
        ["mlpath", "new", template, str(project), "--defaults", "--vcs-ref", "v0.1.0", "--no-lock"],
        env=env,
        check=True,
        capture_output=True,
    )
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\n## My notes\n")  # a diff with something in it
    bundle = Path(env["HOME"]) / ".local/share/mlpath/override-templates" / f"{template}.bundle"
    copy = ["copier", "copy", "--quiet", "--defaults", "--vcs-ref", "v0.1.0"]
    commands = {
        "copier copy (v0.1.0)": [*copy, "--data", f"template={template}", str(bundle), "{dest}"],
        "mlpath diff": ["mlpath", "diff", str(project)],
        "mlpath check": ["mlpath", "check", str(project)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs):
        for name, cmd in commands.items():
            dest = work / f"copy-{i}"
            start = time.perf_counter()
            proc = subprocess.run(
                [part.replace("{dest}", str(dest)) for part in cmd],
                env=env,
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            times[name].append(time.perf_counter() - start)
            if proc.returncode not in (0, 4):  # 4: check says the project is behind
                raise SystemExit(f"{cmd[0:2]} failed: {proc.stderr.decode()}")
            shutil.rmtree(dest, ignore_errors=True)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_upgrade(work: Path) -> dict[str, float]:
    """One upgrade check per template, as the test suite runs it."""
    from tests import harness, upgrade

    times = {}
    for template in harness.TEMPLATES:
        start = time.perf_counter()
        upgrade.check_upgrade(template, work / f"upgrade-{template}")
        times[template] = time.perf_counter() - start
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--template", default="serving-api")
    parser.add_argument("--upgrade", action="store_true", help="also time the upgrade checks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlpath-bench-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        (root / "work").mkdir()
        env = {
            **os.environ,
            **IDENTITY,
            "HOME": str(root / "home"),
            "MLPATH_TEMPLATE_REPO": str(two_release_repo(root / "templates")),
        }
        new = bench_new(args.template, args.runs, env, root / "work")
        update = bench_update(args.template, args.runs, env, root / "work")
        check_diff = bench_check_diff(args.template, args.runs, env, root / "work")
        upgrades = bench_upgrade(root / "work") if args.upgrade else {}
    base = new["copier copy"]
    print(f"template {args.template}, {args.runs} alternating runs each, medians (whole processes)")
    print(f"{'command':<30}{'median s':>10}{'ratio':>16}")
    for name, seconds in new.items():
        print(f"{name:<30}{seconds:>10.3f}{seconds / base:>15.2f}x (vs copier copy)")
    update_base = update["copier update"]
    for name, seconds in update.items():
        print(f"{name:<30}{seconds:>10.3f}{seconds / update_base:>15.2f}x (vs copier update)")
    ratio = new["mlpath new --no-git --no-lock"] / base
    print(
        f"mlpath new (same work) / copier copy = {ratio:.2f}x (target <= 1.2x): "
        f"{'OK' if ratio <= 1.2 else 'MISSED'}"
    )
    update_ratio = update["mlpath update"] / update_base
    print(
        f"mlpath update / copier update = {update_ratio:.2f}x (target <= 1.2x): "
        f"{'OK' if update_ratio <= 1.2 else 'MISSED'}"
    )
    copy_base = check_diff["copier copy (v0.1.0)"]
    for name, seconds in check_diff.items():
        print(f"{name:<30}{seconds:>10.3f}{seconds / copy_base:>15.2f}x (vs copier copy)")
    diff_ratio = check_diff["mlpath diff"] / copy_base
    print(
        f"mlpath diff / copier copy = {diff_ratio:.2f}x (target <= 1.2x): "
        f"{'OK' if diff_ratio <= 1.2 else 'MISSED'}"
    )
    check_s = check_diff["mlpath check"]
    print(f"mlpath check = {check_s:.2f} s (target < 1 s): {'OK' if check_s < 1 else 'MISSED'}")
    for template, seconds in upgrades.items():
        print(f"upgrade check {template:<18}{seconds:>8.1f} s (one run)")


if __name__ == "__main__":
    main()
