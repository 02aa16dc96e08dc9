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
from matplotlib.artist import Artist
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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
    ax.axvline(baseline[primary], color="black", linestyle="--", linewidth=1)
    ax.set_xlabel(f"{primary} (mean over {summary['queries']} queries)")
    ax.set_xlim(0, 1)
    shown = dict.fromkeys(str(row["retriever"]).split("-")[0] for row in rows)
    handles: list[Artist] = [Patch(color=colors.get(name, "#8172b3"), label=name) for name in shown]
    handles.append(Line2D([], [], color="black", linestyle="--", label="baseline"))
    ax.legend(handles=handles, loc="lower right")
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
        "with about a hundred queries, differences of a few hundredths usually do not. The best "
        "configuration was picked on these same queries, so its margin is optimistic: confirm "
        "it on held-out queries before you rely on it.",
        "",
        "## What actually improved quality",
        "",
        *_improvements(summary),
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


def _improvements(summary: dict[str, Any]) -> list[str]:
    """Which choice moved the primary metric: the retriever, the chunking, and on which queries."""
    primary, rows = summary["primary"], summary["table"]
    by_retriever: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_retriever.setdefault(str(row["retriever"]), []).append(row)
    lines = [
        f"| retriever | best chunking | {primary} | worst chunking | {primary} | spread |",
        "|---|---|---:|---|---:|---:|",
    ]
    for retriever, group in sorted(
        by_retriever.items(), key=lambda kv: -max(r[primary] for r in kv[1])
    ):
        best = max(group, key=lambda r: r[primary])
        worst = min(group, key=lambda r: r[primary])
        lines.append(
            f"| {retriever} | {best['chunker']} | {best[primary]:.4f} | {worst['chunker']} | "
            f"{worst[primary]:.4f} | {best[primary] - worst[primary]:.4f} |"
        )
    tops = sorted((max(r[primary] for r in g) for g in by_retriever.values()), reverse=True)
    spreads = [
        max(r[primary] for r in g) - min(r[primary] for r in g) for g in by_retriever.values()
    ]
    if len(tops) > 1:
        lines += [
            "",
            f"Choosing the retriever moves {primary} by up to {tops[0] - tops[-1]:.4f} "
            "(best of each); choosing the chunking within one retriever by up to "
            f"{max(spreads):.4f}.",
        ]
    changes = summary.get("changes") or {}
    for title, key in (("improved most", "gains"), ("hurt", "losses")):
        entries = changes.get(key) or []
        if not entries:
            continue
        lines += [
            "",
            f"Queries the best configuration {title} against the baseline ({primary}):",
            "",
            "| query | text | baseline | best |",
            "|---|---|---:|---:|",
            *(
                f"| {e['query_id']} | {e['text']} | {e['baseline']:.3f} | {e['best']:.3f} |"
                for e in entries
            ),
        ]
    return lines


def _bench_lines(bench: dict[str, Any]) -> list[str]:
    lines = ["| measure | value |", "|---|---:|"]
    for key, value in bench["measures"].items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    lines += ["", str(bench.get("note", ""))]
    return lines
