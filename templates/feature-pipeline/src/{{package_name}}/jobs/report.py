"""`make report`: reports/RESULTS.md with tables and PNG plots, from the files the jobs wrote.

It renders what exists and names the command for the rest: reports/pipeline.json (`make
pipeline`, required), the model's metrics (reports/model.json), the served skew check and its
drills (reports/skew.json, reports/skew_drills.json), the parity drills and reports/bench.json
(`make bench`). It computes nothing new: every number comes from a command anyone can rerun.
"""

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..definitions import FEATURE_NAMES
from ..errors import InputError
from ..model.artifact import read_metadata
from ..readme_results import publish_headline
from ..settings import Settings
from ..skew.reference import FeatureReference


def _optional(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _missing(what: str, command: str) -> list[str]:
    return [f"_Not measured yet: run `{command}` to fill in {what}._", ""]


def write_report(settings: Settings) -> Path:
    """RESULTS.md and its plots, SUMMARY.md (the headline, for CI's job summary) and the results
    section of the WRITEUP.md beside the reports folder, every figure from the jobs' files."""
    out = settings.reports_dir
    pipeline = _optional(out / "pipeline.json")
    if pipeline is None or not settings.training_set_path.is_file():
        raise InputError(f"{out / 'pipeline.json'}: missing (run `make pipeline` first)")
    training = pd.read_parquet(settings.training_set_path)
    model = read_metadata(settings.model_dir)
    bench = _optional(out / "bench.json")
    skew_drills = _optional(out / "skew_drills.json")
    parity_drills = _optional(out / "parity_drills.json")
    served_path = out / "served_sample.parquet"
    served = pd.read_parquet(served_path) if served_path.is_file() else None

    _plot_feature_lag(training, out / "feature_lag.png")
    _plot_parity(pipeline["parity"], out / "parity.png")
    if served is not None and model is not None:
        _plot_served_vs_training(served, model, out / "served_vs_training.png")
    if bench is not None:
        _plot_throughput(bench, out / "throughput.png")
        _plot_scaling(bench, out / "scaling.png")
    sections = [
        _header(pipeline, bench),
        _ingestion(pipeline),
        _training(pipeline),
        _model(model),
        _served_skew(pipeline["skew"], served is not None and model is not None, skew_drills),
        _parity(pipeline["parity"], parity_drills),
        _throughput(bench),
    ]
    path = out / "RESULTS.md"
    path.write_text("\n".join(line for section in sections for line in section))
    headline = _headline(pipeline, model, skew_drills, parity_drills)
    publish_headline("\n".join(headline), out / "SUMMARY.md", out.parent / "WRITEUP.md")
    return path


def _headline(
    pipeline: dict[str, Any],
    model: dict[str, Any] | None,
    skew_drills: dict[str, Any] | None,
    parity_drills: dict[str, Any] | None,
) -> list[str]:
    """The results in brief (WRITEUP.md, CI's job summary): RESULTS.md's model section and the
    verdicts of its checks and drills, the same figures."""
    skew, parity = pipeline["skew"], pipeline["parity"]
    lines = [
        *_model(model)[2:],
        f"Served skew check on {skew['requests']:,} logged predictions: "
        f"**{'passed' if skew['passed'] else 'FAILED'}**; parity of the SQL stores with the "
        f"independent Python path on {sum(parity['compared'].values()):,} vectors: "
        f"**{'passed' if parity['passed'] else 'FAILED'}**.",
    ]
    for name, drills in (("serving", skew_drills), ("streaming-path", parity_drills)):
        if drills is None:
            continue
        bugs = drills["drills"][1:] if name == "serving" else drills["drills"]  # [0]: control
        caught = sum(d["caught"] for d in bugs)
        lines.append(f"The {name} drills: {caught} of {len(bugs)} injected bugs caught.")
    return lines


def _header(pipeline: dict[str, Any], bench: dict[str, Any] | None) -> list[str]:
    lines = [
        "# Results",
        "",
        "Written by `make report` from the files `make pipeline`, `make bench` and the drills "
        "write; rerun them to refresh.",
    ]
    if bench is not None:
        machine = bench["machine"]
        lines.append(
            f"Machine: {machine['cpus']} CPUs, Python {machine['python']}, "
            f"DuckDB {machine['duckdb']}, {machine['platform']}."
        )
    return [*lines, ""]


def _ingestion(pipeline: dict[str, Any]) -> list[str]:
    ingest = pipeline["ingest"]
    return [
        "## Ingestion",
        "",
        f"{ingest['rows_read']:,} raw rows: {ingest['rows_valid']:,} valid, "
        f"{ingest['rows_rejected']:,} rejected and {ingest.get('rows_quarantined', 0):,} "
        "quarantined (implausible event times), each kept with its reason; none dropped silently.",
        "",
        "| check | failing rows |",
        "|---|---:|",
        *[f"| {check} | {n:,} |" for check, n in ingest["failures_by_check"].items()],
        "",
    ]


def _training(pipeline: dict[str, Any]) -> list[str]:
    training = pipeline["training"]
    return [
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
    ]


def _model(model: dict[str, Any] | None) -> list[str]:
    lines = ["## Model", ""]
    if model is None:
        return [*lines, *_missing("the model's metrics", "train")]
    split, holdout = model["training"], model["training"]["holdout"]
    return [
        *lines,
        f"`{model['estimator']}` version `{model['version']}`, trained on "
        f"{split['train_rows']:,} labels before {split['train_until'][:10]}; "
        f"{split['purged_rows']:,} labels whose 7-day outcome reached into the holdout were "
        f"dropped. Holdout: the {holdout['rows']:,} labels from {split['holdout_from'][:10]} on "
        f"({holdout['positive_rate']:.1%} positive), a later period, never a random split.",
        "",
        "| holdout metric | model | constant (training positive rate) |",
        "|---|---:|---:|",
        f"| ROC AUC | {holdout['roc_auc']:.3f} | 0.500 |",
        f"| average precision | {holdout['average_precision']:.3f} | "
        f"{holdout['positive_rate']:.3f} |",
        f"| Brier score | {holdout['brier']:.4f} | {holdout['baseline_brier']:.4f} |",
        f"| log loss | {holdout['log_loss']:.4f} | {holdout['baseline_log_loss']:.4f} |",
        "",
    ]


def _served_skew(skew: dict[str, Any], plotted: bool, drills: dict[str, Any] | None) -> list[str]:
    t = skew["thresholds"]
    lines = [
        "## Train/serve skew on served traffic",
        "",
        f"{skew['requests']:,} logged predictions (model {', '.join(skew['model_versions'])}), "
        "each compared value by value with the offline store as of its serving time "
        f"(tolerance {t['abs_tolerance']:g}, mismatch rate <= {t['max_mismatch_rate']:.2%}); "
        f"served snapshot time differed in {skew['as_of_mismatch_rate']:.2%} of them. "
        f"Result: **{'passed' if skew['passed'] else 'FAILED'}**. The distance to the training "
        f"reference is drift, reported above {t['max_distribution_distance']}"
        f"{'' if t['fail_on_drift'] else ' as a warning'}.",
        "",
        "| feature | mismatch rate | max abs diff | vs training |",
        "|---|---:|---:|---:|",
        *[
            f"| {f['feature']} | {f['mismatch_rate']:.2%} | {f['max_abs_diff']:.3g} | "
            f"{f['distance_name']} {f['distance']:.3f} |"
            for f in skew["features"]
        ],
        "",
        *[f"- drift warning: {w}" for w in skew["drift_warnings"]],
        "",
    ]
    if plotted:
        lines += ["![served vs training](served_vs_training.png)", ""]
    lines += ["### Serving drills", ""]
    if drills is None:
        return [*lines, *_missing("the serving drills", "skew-drills")]
    return [
        *lines,
        "Bugs injected into the serving path; the check sees only the log of what was served.",
        "",
        "| drill | what goes wrong | caught | flagged | worst mismatch |",
        "|---|---|---|---|---:|",
        *[
            f"| {d['drill']} | {d['description']} | {_caught(d, control=i == 0)} | "
            f"{_flagged(d['flagged'])} | {d['worst_mismatch_rate']:.2%} |"
            for i, d in enumerate(drills["drills"])
        ],
        "",
    ]


def _parity(parity: dict[str, Any], drills: dict[str, Any] | None) -> list[str]:
    compared = " and ".join(f"{n:,} vectors from the {s}" for s, n in parity["compared"].items())
    lines = [
        "## Parity of the two feature implementations",
        "",
        f"The SQL-built stores vs the independent Python path recomputing them from raw events: "
        f"{compared}, as of {parity['as_of_min']} to {parity['as_of_max']}. "
        f"Result: **{'passed' if parity['passed'] else 'FAILED'}**.",
        "",
        "| feature | mismatch rate | max abs diff | PSI |",
        "|---|---:|---:|---:|",
        *[
            f"| {f['feature']} | {f['mismatch_rate']:.2%} | {f['max_abs_diff']:.3g} | "
            f"{f['psi']:.4f} |"
            for f in parity["features"]
        ],
        "",
        "![parity](parity.png)",
        "",
        "### Streaming-path drills",
        "",
    ]
    if drills is None:
        return [*lines, *_missing("the streaming-path drills", "parity-drills")]
    rows = drills["drills"]
    return [
        *lines,
        "| drill | what goes wrong | caught | features flagged | worst mismatch | worst PSI |",
        "|---|---|---|---|---:|---:|",
        *[
            f"| {d['drill']} | {d['description']} | {'yes' if d['caught'] else '**NO**'} | "
            f"{_flagged(d['flagged_features'])} | {d['worst_mismatch_rate']:.2%} | "
            f"{d['worst_psi']:.3f} |"
            for d in rows
        ],
        "",
        f"{sum(d['worst_psi'] <= parity['thresholds']['max_psi'] for d in rows)} of {len(rows)} "
        "drills left every feature's PSI under its threshold: a distribution monitor alone would "
        "have missed them, the per-vector mismatch rate did not.",
        "",
    ]


def _throughput(bench: dict[str, Any] | None) -> list[str]:
    lines = ["## Throughput", ""]
    if bench is None:
        return [*lines, *_missing("throughput and latency", "make bench")]
    return [
        *lines,
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
        f"Python feature path per request: p50 {bench['serving_p50_us']:.1f} us, "
        f"p99 {bench['serving_p99_us']:.1f} us. Batch SQL computes feature vectors "
        f"{bench['batch_over_serving']:.1f}x faster than the per-request Python path.",
        "",
        "![throughput](throughput.png)",
        "",
        "Offline build (DuckDB: daily snapshots + the point-in-time training set) by size, "
        "from clean events; materialisation of each user's newest snapshot into the SQLite "
        "online store; the synthetic generator (`generate`: events in memory, then the CSV):",
        "",
        "| events | users | snapshots | build s | events/s | materialise s | generator s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {p['events']:,} | {p['n_users']:,} | {p['snapshots']:,} | {p['median_s']:.2f} | "
            f"{p['events_per_s']:,.0f} | {_maybe(p.get('materialize_s'))} | "
            f"{_maybe(p.get('generate_s'))} |"
            for p in bench["scaling"]
        ],
        "",
        "![scaling](scaling.png)",
        "",
        *_targets(bench),
        "",
        "| serving path | requests per round | rounds | p50 ms (median) | p99 ms (median) |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {x['path']} | {x['requests']:,} | {x.get('rounds', 1)} | {x['p50_ms']:.2f} | "
            f"{x['p99_ms']:.2f} |"
            for x in bench["serving"]["latencies"]
        ],
        "",
        f"Served skew check on {bench['serving']['skew_check_rows']:,} logged lookups: "
        f"{bench['serving']['skew_check_s']:.2f} s (median of 3).",
        "",
        *_feast(bench.get("feast")),
    ]


def _feast(feast: dict[str, Any] | None) -> list[str]:
    """Feast beside the pipeline on the bench's data (jobs/bench_feast.py)."""
    lines = ["### Against Feast", ""]
    if feast is None:
        return [
            *lines,
            "Not timed: the `feast` extra was not installed when `make bench` ran "
            "(`uv sync --extra feast`; `make setup` installs every extra).",
            "",
        ]
    rows = [
        ("training set (point-in-time join)", "training_set"),
        ("online store load (materialise)", "materialize"),
    ]
    pipeline_lookup, feast_lookup = feast["lookups"]
    return [
        *lines,
        f"The same features through the Feast {feast['feast_version']} repository `make feast`"
        f" writes (local provider, file offline store, SQLite online store), on the bench's data:"
        f" {feast['labels']:,} labels, {feast['users']:,} users; medians of {feast['runs']}"
        " alternating pairs. tests/test_feast_repo.py proves the answers equal.",
        "",
        "| step | pipeline s | Feast s | Feast / pipeline |",
        "|---|---:|---:|---:|",
        *[
            f"| {name} | {feast[key + '_pipeline_s']:.3f} | {feast[key + '_feast_s']:.3f} | "
            f"{feast[key + '_feast_s'] / feast[key + '_pipeline_s']:.1f}x |"
            for name, key in rows
        ],
        "",
        "| one entity's online lookup | p50 ms | p99 ms |",
        "|---|---:|---:|",
        *[
            f"| {x['path']} | {x['p50_ms']:.3f} | {x['p99_ms']:.3f} |"
            for x in (pipeline_lookup, feast_lookup)
        ],
        "",
    ]


def _maybe(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def _targets(bench: dict[str, Any]) -> list[str]:
    """The speed targets next to what `make bench` measured, with the machine's load."""
    if "targets" not in bench:  # a bench.json from before the targets were recorded
        return []
    rows = []
    for t in bench["targets"]:
        limit, measured = t["limit_s"], t["measured_s"]
        if measured is None:
            verdict, shown = f"not measured (`{t['how_to_measure']}`)", "-"
        else:
            verdict, shown = ("met" if measured < limit else "**NOT MET**"), _duration(measured)
        rows.append(f"| {t['name']} | under {_duration(limit)} | {shown} | {verdict} |")
    machine = bench["machine"]
    return [
        "| target | limit | measured (median) | |",
        "|---|---:|---:|---|",
        *rows,
        "",
        f"Load average (1, 5, 15 min) while it ran: {machine.get('load_before', '?')} before, "
        f"{machine.get('load_after', '?')} after, on {machine['cpus']} CPUs.",
    ]


def _duration(seconds: float) -> str:
    return f"{seconds * 1_000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _caught(drill: dict[str, Any], control: bool) -> str:
    if control:  # the run without a bug must pass
        return "**FAILED**" if drill["caught"] else "passes (control)"
    return "yes" if drill["caught"] else "**NO**"


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
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylabel("features + training set, s")
    ax.set_title("Offline build (DuckDB) vs data size")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_parity(skew: dict[str, Any], path: Path) -> None:
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


def _plot_served_vs_training(served: pd.DataFrame, model: dict[str, Any], path: Path) -> None:
    """Per feature, the training reference's share of each bin next to the served share."""
    references = [FeatureReference.model_validate(r) for r in model["references"]]
    columns = 5
    rows = -(-len(references) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows))
    for ax, reference in zip(np.ravel(axes), references, strict=False):
        values = served[reference.feature].to_numpy(dtype="float64")
        served_shares = reference.shares_of(values)
        x = np.arange(len(reference.shares))
        ax.bar(x - 0.2, reference.shares, width=0.4, label="training", color="#4c72b0")
        ax.bar(x + 0.2, served_shares, width=0.4, label="served", color="#dd8452")
        ax.set_title(reference.feature, fontsize=9)
        ax.set_xticks([x[-1]], ["null"], fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in np.ravel(axes)[len(references) :]:
        ax.axis("off")
    np.ravel(axes)[0].legend(fontsize=7)
    fig.suptitle("Served traffic vs the training reference (share per training-quantile bin)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
