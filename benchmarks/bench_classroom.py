"""Wall time of `mlpath classroom new`, `update` and `grade`, as whole processes (medians).

Under a throwaway HOME, on a template repository built from this checkout: v0.1.0 is the
templates as committed, v0.2.0 the same with lines added to a partial every template includes
(its .gitignore). The class is rag-eval with BM25 only (its lightest rendering), without remotes
(the issue's targets exclude pushes). `grade` runs on an exercise-mode class of untouched starters
(every test runs and fails, the slowest path); the grading environment is built once, before the
timed runs, and that build is reported on its own. Each grade size is timed with the bubblewrap
sandbox and with --unsafe-no-sandbox, alternately (median of each, and their ratio), then once
more with two students whose code hangs with SIGALRM blocked (so only the run's time limit,
--timeout HANG_TIMEOUT_S, stops them).

    python benchmarks/bench_classroom.py [--runs 3] [--sizes 30,300] [--update-sizes 30,300]
                                         [--update-runs N] [--grade-sizes 30,300]
                                         [--hang-runs N]

Targets (issue 8): `classroom new` for 30 students under 30 s, for 300 under 3 minutes; (issue 18)
the sandbox costs under 15% of the grading time; (issue 20) `classroom update` for 300 under 90 s.
Classes of up to 30 are also updated through Copier for every student (MLPATH_CLASSROOM_NO_MERGE),
on a copy of the same class, and the two compared. Each row ends with the machine's 1-minute load
average before and after its runs (a shared machine's figures mean little without it).
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
TEMPLATE = "rag-eval"
DATA = ["--data", "dense_retrieval=false"]
TARGETS = {30: 30.0, 300: 180.0}
UPDATE_TARGETS = {300: 90.0}  # issue 20
COPIER_COMPARE_MAX = 30  # larger classes are not also updated through Copier (minutes)
SANDBOX_TARGET = 1.15
HANG_TIMEOUT_S = 30
# Blocks the alarm that stops one test, then loops: only the limit on the whole run ends it.
HANG = (
    "import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n"
    "while True:\n    pass\n"
)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **IDENTITY}
    )


def two_release_repo(root: Path) -> Path:
    git(REPO, "clone", "-q", "--no-local", str(REPO), str(root))
    # Only the two tags below are releases: the checkout's releases.toml names older commits
    # as newer versions (v0.3.0...), which an update would otherwise go to.
    (root / "releases.toml").write_text("[releases]\n")
    git(root, "commit", "-qam", "the bench's releases are its tags")
    git(root, "tag", "--force", "v0.1.0")
    shared = root / "templates" / "_shared" / "gitignore"
    shared.write_text(shared.read_text() + "# added in v0.2.0\n*.log\n")
    git(root, "commit", "-qam", "v0.2.0")
    git(root, "tag", "--force", "v0.2.0")
    return root


def roster(path: Path, size: int) -> Path:
    rows = "".join(f"s{i:03d},Student {i},s{i:03d}@school.example\n" for i in range(size))
    path.write_text("handle,name,email\n" + rows)
    return path


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def mlpath(env: dict[str, str], *args: str, ok_codes: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["mlpath", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok_codes:
        raise SystemExit(
            f"mlpath {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
        )
    return elapsed


def new_class(
    env: dict[str, str], work: Path, size: int, name: str, *extra: str
) -> tuple[Path, float]:
    out = work / name
    seconds = mlpath(
        env, "classroom", "new", TEMPLATE, "--roster", str(roster(work / f"{name}.csv", size)),
        "--out", str(out), "--vcs-ref", "v0.1.0", *DATA, *extra,
    )  # fmt: skip
    return out, seconds


def bench(
    env: dict[str, str],
    work: Path,
    sizes: list[int],
    runs: int,
    update_sizes: set[int],
    update_runs: int,
    grade_sizes: list[int],
    hang_runs: int,
) -> None:
    mlpath(env, "list")  # place the template history once
    print(
        f"{TEMPLATE} (BM25 only), {runs} runs each, medians of whole processes, "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'command':<34}{'students':>9}{'median s':>10}{'per student':>13}  runs  [load]")
    for size in sizes:
        news, updates, through_copier = [], [], []
        before = load()
        for run in range(runs):
            out, seconds = new_class(env, work, size, f"new-{size}-{run}")
            news.append(seconds)
            if size in update_sizes and run < update_runs:
                if size <= COPIER_COMPARE_MAX:  # the same class, every student through Copier
                    copy = out.with_name(out.name + "-copier")
                    shutil.copytree(out, copy, symlinks=True)
                    copier_env = {**env, "MLPATH_CLASSROOM_NO_MERGE": "1"}
                    through_copier.append(mlpath(copier_env, "classroom", "update", str(copy)))
                    shutil.rmtree(copy)
                updates.append(mlpath(env, "classroom", "update", str(out)))
            shutil.rmtree(out)
        measured = [
            ("classroom new", news),
            ("classroom update v0.1.0->v0.2.0", updates),
            ("  update, Copier per student", through_copier),
        ]
        for name, values in [(name, values) for name, values in measured if values]:
            median = statistics.median(values)
            shown = " ".join(f"{v:.1f}" for v in values)
            print(
                f"{name:<34}{size:>9}{median:>10.1f}{median / size:>13.2f}  {shown}"
                f"  [load {before} -> {load()}]"
            )
        target = TARGETS.get(size)
        if target is not None:
            verdict = "OK" if statistics.median(news) < target else "MISSED"
            print(f"  target: classroom new for {size} under {target:.0f} s: {verdict}")
        if updates and through_copier:
            ratio = statistics.median(through_copier) / statistics.median(updates)
            print(f"  update: merged is {ratio:.1f}x faster than Copier per student")
        update_target = UPDATE_TARGETS.get(size)
        if updates and update_target is not None:
            verdict = "OK" if statistics.median(updates) < update_target else "MISSED"
            print(f"  target: classroom update for {size} under {update_target:.0f} s: {verdict}")
    for grade_size in grade_sizes:
        bench_grade(env, work, grade_size, runs, hang_runs)


def row(name: str, size: int, values: list[float], before: str) -> float:
    median = statistics.median(values)
    shown = " ".join(f"{v:.1f}" for v in values)
    print(
        f"{name:<34}{size:>9}{median:>10.1f}{median / size:>13.2f}  {shown}"
        f"  [load {before} -> {load()}]"
    )
    return median


def hang(env: dict[str, str], project: Path) -> None:
    metrics = next(project.glob("src/*/evaluation/metrics.py"))
    metrics.write_text(HANG + metrics.read_text())
    git(project, "commit", "-qam", "hangs")


def bench_grade(env: dict[str, str], work: Path, size: int, runs: int, hang_runs: int) -> None:
    out, _ = new_class(env, work, size, f"grade-{size}", "--exercises")
    build = mlpath(env, "classroom", "grade", str(out))  # builds the shared environment
    print(f"{'  first grade, building the env':<34}{size:>9}{build:>10.1f}")
    on: list[float] = []
    off: list[float] = []
    before = load()
    modes = [(on, ()), (off, ("--unsafe-no-sandbox",))]
    for run in range(runs):  # alternate (on off, off on, ...): a drift in load hits both alike
        for times, flags in modes if run % 2 == 0 else modes[::-1]:
            times.append(mlpath(env, "classroom", "grade", str(out), *flags))
    sandboxed = row("classroom grade (sandbox)", size, on, before)
    unsafe = row("classroom grade (no sandbox)", size, off, before)
    ratio = sandboxed / unsafe
    verdict = "OK" if ratio < SANDBOX_TARGET else "MISSED"
    print(f"  sandbox / no sandbox: {ratio:.2f} (target under {SANDBOX_TARGET:.2f}): {verdict}")
    if hang_runs:
        for handle in ("s000", "s001"):
            hang(env, out / handle)
        before = load()
        hung = [
            mlpath(env, "classroom", "grade", str(out), "--timeout", str(HANG_TIMEOUT_S))
            for _ in range(hang_runs)
        ]
        row(f"  grade, 2 hang (--timeout {HANG_TIMEOUT_S})", size, hung, before)
    shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="30,300")
    parser.add_argument("--grade-sizes", default="30", help="class sizes to time grade on")
    parser.add_argument("--update-sizes", default="30,300", help="class sizes to time update on")
    parser.add_argument("--update-runs", type=int, default=None, help="default: --runs")
    parser.add_argument("--hang-runs", type=int, default=None, help="default: --runs; 0 skips")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlpath-bench-classroom-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        (root / "work").mkdir()
        env = {
            **os.environ,
            **IDENTITY,
            "HOME": str(root / "home"),
            "MLPATH_TEMPLATE_REPO": str(two_release_repo(root / "templates")),
        }
        sizes = [int(size) for size in args.sizes.split(",") if size]
        update_sizes = {int(size) for size in args.update_sizes.split(",") if size}
        update_runs = args.runs if args.update_runs is None else args.update_runs
        grade_sizes = [int(size) for size in args.grade_sizes.split(",") if size]
        hang_runs = args.runs if args.hang_runs is None else args.hang_runs
        bench(
            env, root / "work", sizes, args.runs, update_sizes, update_runs, grade_sizes, hang_runs
        )


if __name__ == "__main__":
    main()
