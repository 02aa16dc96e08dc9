"""`make report`: reports/RESULTS.md with tables and PNG plots, from the files the jobs wrote.

It reads reports/pipeline.json (`make pipeline`), reports/bench.json (`make bench`),
reports/skew_drills.json (`skew-drills`, which `make report` runs first) and the training set,
and computes nothing new: every number in it comes from a command anyone can rerun.
"""

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..definitions import FEATURE_NAMES
from ..errors import InputError
from ..settings import Settings


def _load(path: Path, command: str) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"{path}: missing (run `{command}` first)")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_report(settings: Settings) -> Path:
    out = settings.reports_dir
    pipeline = _load(out / "pipeline.json", "make pipeline")
    bench = _load(out / "bench.json", "make bench")
    drills = _load(out / "skew_drills.json", "skew-drills")["drills"]
    if not settings.training_set_path.is_file():
        raise InputError(f"{settings.training_set_path}: missing (run `make pipeline` first)")
    training = pd.read_parquet(settings.training_set_path)

    _plot_throughput(bench, out / "throughput.png")
    _plot_scaling(bench, out / "scaling.png")
    _plot_skew(pipeline["skew"], out / "skew.png")
    _plot_feature_lag(training, out / "feature_lag.png")
    path = out / "RESULTS.md"
    path.write_text(_markdown(pipeline, bench, drills))
    return path


def _markdown(pipeline: dict[str, Any], bench: dict[str, Any], drills: list[Any]) -> str:
    ingest, skew, training = pipeline["ingest"], pipeline["skew"], pipeline["training"]
    machine = bench["machine"]
    compared = " and ".join(f"{n:,} vectors from the {src}" for src, n in skew["compared"].items())
    lines = [
        "# Results",
        "",
        "Written by `make report` from `make pipeline` and `make bench`; rerun them to refresh.",
        f"Machine: {machine['cpus']} CPUs, Python {machine['python']}, "
        f"DuckDB {machine['duckdb']}, {machine['platform']}.",
        "",
        "## Ingestion",
        "",
        f"{ingest['rows_read']:,} raw rows: {ingest['rows_valid']:,} valid, "
        f"{ingest['rows_rejected']:,} rejected (kept with their reasons, none dropped silently).",
        "",
        "| check | failing rows |",
        "|---|---:|",
        *[f"| {check} | {n:,} |" for check, n in ingest["failures_by_check"].items()],
        "",
        "## Features and training set",
        "",
        f"{pipeline['snapshot_rows']:,} daily snapshots in the offline store, "
        f"{pipeline['online_rows']:,} users in the online store. Training set: "
        f"{training['rows']:,} labels, {training['positive_rate']:.1%} positive, "
        f"{training['without_history']} without feature history; the newest feature a label saw "
        f"was at most {training['max_feature_lag_hours']:.1f} h old and never after it.",
        "",
        "![feature lag](feature_lag.png)",
        "",
        "## Train/serve skew",
        "",
        f"Stored features vs the serving path recomputing them from raw events: {compared}, "
        f"as of {skew['as_of_min']} to {skew['as_of_max']}; thresholds: mismatch rate <= "
        f"{skew['thresholds']['max_mismatch_rate']:.2%}, "
        f"PSI <= {skew['thresholds']['max_psi']}. "
        f"Result: **{'passed' if skew['passed'] else 'FAILED'}**.",
        "",
        "| feature | mismatch rate | max abs diff | PSI |",
        "|---|---:|---:|---:|",
        *[
            f"| {f['feature']} | {f['mismatch_rate']:.2%} | {f['max_abs_diff']:.3g} | "
            f"{f['psi']:.4f} |"
            for f in skew["features"]
        ],
        "",
        "![skew](skew.png)",
        "",
        "### Skew drills",
        "",
        "The same check with the events replayed through serving bugs real services have shipped "
        "(`skew-drills`); each must fail it.",
        "",
        "| drill | what goes wrong | caught | features flagged | worst mismatch | worst PSI |",
        "|---|---|---|---|---:|---:|",
        *[
            f"| {d['drill']} | {d['description']} | {'yes' if d['caught'] else '**NO**'} | "
            f"{_flagged(d['flagged_features'])} | {d['worst_mismatch_rate']:.2%} | "
            f"{d['worst_psi']:.3f} |"
            for d in drills
        ],
        "",
        f"{sum(d['worst_psi'] <= skew['thresholds']['max_psi'] for d in drills)} of {len(drills)} "
        "drills left every feature's PSI under its threshold: a distribution monitor alone would "
        "have missed them, the per-vector mismatch rate did not.",
        "",
        "## Throughput",
        "",
        f"{bench['n_users']:,} users x {bench['n_days']} days, median of {bench['runs']} runs.",
        "",
        "| stage | rows | unit | median s | rows/s |",
        "|---|---:|---|---:|---:|",
        *[
            f"| {s['stage']} | {s['rows']:,} | {s['unit']} | {s['median_s']:.3f} | "
            f"{s['rows_per_s']:,.0f} |"
            for s in bench["stages"]
        ],
        "",
        f"Tiled snapshot SQL vs the direct range join (the baseline, in alternating pairs): "
        f"**{bench['tiled_over_range_join']:.1f}x** faster. "
        f"Serving path per request: p50 {bench['serving_p50_us']:.1f} us, "
        f"p99 {bench['serving_p99_us']:.1f} us. Batch SQL computes feature vectors "
        f"{bench['batch_over_serving']:.1f}x faster than the per-request Python path.",
        "",
        "![throughput](throughput.png)",
        "",
        "| users | events | snapshots | median s | events/s |",
        "|---:|---:|---:|---:|---:|",
        *[
            f"| {p['n_users']:,} | {p['events']:,} | {p['snapshots']:,} | {p['median_s']:.3f} | "
            f"{p['events_per_s']:,.0f} |"
            for p in bench["scaling"]
        ],
        "",
        "![scaling](scaling.png)",
        "",
    ]
    return "\n".join(lines)


def _flagged(features: list[str]) -> str:
    if len(features) == len(FEATURE_NAMES):
        return f"all {len(FEATURE_NAMES)}"
    return ", ".join(features) or "none"


def _plot_throughput(bench: dict[str, Any], path: Path) -> None:
    labels = [f"{s['stage']}\n({s['unit']})" for s in bench["stages"]]
    values = [s["rows_per_s"] for s in bench["stages"]]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.barh(labels, values, color="#4c72b0")
    ax.set_xscale("log")
    ax.set_xlabel("rows per second (log scale, median)")
    ax.invert_yaxis()
    ax.set_title("Pipeline stage throughput")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_scaling(bench: dict[str, Any], path: Path) -> None:
    points = bench["scaling"]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([p["events"] for p in points], [p["median_s"] for p in points], marker="o")
    ax.set_xlabel("clean events")
    ax.set_ylabel("feature computation, median s")
    ax.set_title("DuckDB snapshot computation vs data size")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_skew(skew: dict[str, Any], path: Path) -> None:
    names = [f["feature"] for f in skew["features"]]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
    for ax, key, limit, title, fmt in (
        (left, "mismatch_rate", skew["thresholds"]["max_mismatch_rate"], "mismatch rate", "{:.2%}"),
        (right, "psi", skew["thresholds"]["max_psi"], "PSI", "{:.4f}"),
    ):
        values = [f[key] for f in skew["features"]]
        top = max(limit * 1.5, *values)
        ax.barh(names, values, color="#55a868")
        ax.axvline(limit, color="#c44e52", linestyle="--", label=f"threshold {fmt.format(limit)}")
        for y, value in enumerate(values):  # zero-length bars are still read as a number
            ax.text(min(value, top) + top * 0.01, y, fmt.format(value), va="center", fontsize=8)
        ax.set_xlim(0, top * 1.15)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        if key == "mismatch_rate":
            ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(title)
        ax.legend(loc="lower right")
    left.invert_yaxis()
    verdict = "passed" if skew["passed"] else "FAILED"
    vectors = sum(skew["compared"].values())
    fig.suptitle(f"Stored features vs serving path, {vectors:,} vectors: {verdict}")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_feature_lag(training: pd.DataFrame, path: Path) -> None:
    lag_hours = (training["label_time"] - training["feature_as_of"]).dt.total_seconds() / 3600
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(lag_hours.dropna(), bins=48, color="#8172b2")
    ax.set_xlabel("label time - snapshot time (hours)")
    ax.set_ylabel("labels")
    ax.set_title("Point-in-time join: every feature predates its label")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
