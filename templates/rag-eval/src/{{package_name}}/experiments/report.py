"""reports/RESULTS.md from the grid's summary.json (and bench.json when `make bench` ran).

Plots are PNGs drawn with matplotlib's Agg backend (no display needed): the primary metric per
configuration, and recall@k curves for the baseline and the best configuration of each retriever.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from ..errors import InputError
from .results import format_comparison


def write_report(reports_dir: Path) -> Path:
    summary_path = reports_dir / "grid" / "summary.json"
    if not summary_path.is_file():
        raise InputError(f"{summary_path}: no grid results; run `make eval` first")
    summary = json.loads(summary_path.read_text())
    bench_path = reports_dir / "bench.json"
    bench = json.loads(bench_path.read_text()) if bench_path.is_file() else None
    _plot_metric(summary, reports_dir / "metric_per_config.png")
    _plot_recall_curves(summary, reports_dir / "recall_at_k.png")
    out = reports_dir / "RESULTS.md"
    out.write_text(_markdown(summary, bench))
    return out


def _sorted_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(summary["table"], key=lambda row: -row[summary["primary"]])


def _plot_metric(summary: dict[str, Any], path: Path) -> None:
    rows = _sorted_rows(summary)[::-1]
    primary = summary["primary"]
    colors = {"bm25": "#4c72b0", "dense": "#dd8452", "hybrid": "#55a868"}
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.2))
    ax.barh(
        [row["config"] for row in rows],
        [row[primary] for row in rows],
        color=[colors.get(str(row["retriever"]).split("-")[0], "#8172b3") for row in rows],
    )
    baseline = next(row for row in rows if row["config"] == summary["baseline"])
    ax.axvline(baseline[primary], color="black", linestyle="--", linewidth=1, label="baseline")
    ax.set_xlabel(f"{primary} (mean over {summary['queries']} queries)")
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_recall_curves(summary: dict[str, Any], path: Path) -> None:
    rows = _sorted_rows(summary)
    shown = [summary["baseline"]]
    for retriever in dict.fromkeys(row["retriever"] for row in rows):
        best = next(row["config"] for row in rows if row["retriever"] == retriever)
        if best not in shown:
            shown.append(best)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in shown:
        curve = {int(k): v for k, v in summary["recall_curves"][name].items()}
        ks = sorted(curve)
        label = f"{name} (baseline)" if name == summary["baseline"] else name
        ax.plot(ks, [curve[k] for k in ks], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_xlabel("k (documents)")
    ax.set_ylabel("recall@k")
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _markdown(summary: dict[str, Any], bench: dict[str, Any] | None) -> str:
    metrics: list[str] = summary["metrics"]
    lines = [
        "# Results",
        "",
        f"Dataset `{summary['dataset']}`, {summary['queries']} judged queries. Written by "
        "`make report` from `make eval`'s output (reports/grid/); rerun both to reproduce.",
        "Rankings are mapped from chunks to documents by each document's best chunk, and scored "
        "with trec_eval's conventions (see evaluation/metrics.py).",
        "",
        "## Configurations",
        "",
        "| config | chunks | " + " | ".join(metrics) + " | index s |",
        "|---|---:|" + "---:|" * len(metrics) + "---:|",
    ]
    for row in _sorted_rows(summary):
        name = f"**{row['config']}**" if row["config"] == summary["best"] else row["config"]
        cells = " | ".join(f"{row[m]:.4f}" for m in metrics)
        lines.append(f"| {name} | {row['chunks']} | {cells} | {row['index_seconds']:.2f} |")
    lines += [
        "",
        "![metric per configuration](metric_per_config.png)",
        "",
        "![recall at k](recall_at_k.png)",
        "",
        "## Best configuration against the baseline",
        "",
        format_comparison(summary),
        "",
        "A difference counts when its 95% interval excludes 0 and the paired tests agree; "
        "with about a hundred queries, differences of a few hundredths usually do not.",
        "",
        "## Queries the best configuration still fails",
        "",
    ]
    failures = summary["failures"]
    if not failures:
        lines.append("None: every query has a relevant document in the top 10.")
    else:
        lines += [
            f"{len(failures)} queries have no relevant document in the top 10. Better chunking "
            "or fusion will not fix these: the words of the question are not the words of the "
            "page. They call for query rewriting, a stronger embedding model, or documentation "
            "that uses the readers' words.",
            "",
            "| query | text | judged relevant | retrieved instead |",
            "|---|---|---|---|",
        ]
        for f in failures:
            lines.append(
                f"| {f['query_id']} | {f['text']} | {', '.join(f['relevant'])} | "
                f"{', '.join(f['retrieved']) or '(nothing)'} |"
            )
    if summary["notes"]:
        lines += ["", "## Notes", "", *(f"- {note}" for note in summary["notes"])]
    if bench:
        lines += ["", "## Benchmark (`make bench`)", "", *_bench_lines(bench)]
    return "\n".join(lines) + "\n"


def _bench_lines(bench: dict[str, Any]) -> list[str]:
    lines = ["| measure | value |", "|---|---:|"]
    for key, value in bench["measures"].items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    lines += ["", str(bench.get("note", ""))]
    return lines
