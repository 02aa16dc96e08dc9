"""reports/RESULTS.md from the grid's summary.json (and bench.json when `make bench` ran).

Plots are PNGs drawn with matplotlib's Agg backend (no display needed): the primary metric per
configuration with its 95% interval, and recall@k curves for the baseline and the best
configuration of each retriever, all on the tuning queries; the held-out figures are in the text.
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

from ..errors import InputError
from ..readme_results import publish_headline, replace_results
from .results import format_comparison

README_START = "<!-- results: written by `make report` from reports/grid/summary.json -->"
README_END = "<!-- /results -->"


def write_report(reports_dir: Path, readme: Path | None = None) -> Path:
    """RESULTS.md and its plots, and SUMMARY.md (the headline, for CI's job summary); with
    `readme`, also the README's results block (see `update_readme`) and the results section of
    the WRITEUP.md beside it, so that no sentence about results there is typed by hand."""
    summary_path = reports_dir / "grid" / "summary.json"
    if not summary_path.is_file():
        raise InputError(f"{summary_path}: no grid results; run `make eval` first")
    summary = json.loads(summary_path.read_text())
    bench_path = reports_dir / "bench.json"
    bench = json.loads(bench_path.read_text()) if bench_path.is_file() else None
    plot_metric(summary, reports_dir / "metric_per_config.png")
    _plot_recall_curves(summary, reports_dir / "recall_at_k.png")
    out = reports_dir / "RESULTS.md"
    out.write_text(_markdown(summary, bench))
    if readme is not None:
        update_readme(readme, summary)
    writeup = None if readme is None else readme.with_name("WRITEUP.md")
    publish_headline(headline(summary), reports_dir / "SUMMARY.md", writeup)
    return out


NOT_MEASURED = "Not measured yet: `make eval report` writes the figures here."


def readme_results(readme: Path) -> str | None:
    """The README's results block as it stands (None without the markers)."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return None
    return text[start + len(README_START) : end].strip()


def update_readme(readme: Path, summary: dict[str, Any]) -> bool:
    """Replace what lies between the README's results markers with `results_summary`.

    Everything outside the markers is the user's and stays as it is; a README without the
    markers is left alone (returns False).
    """
    return replace_results(readme, README_START, README_END, results_summary(summary))


def headline(summary: dict[str, Any]) -> str:
    """The results in brief (WRITEUP.md, CI's job summary): the README's sentences and the
    held-out table of RESULTS.md, the same figures."""
    return "\n".join([results_summary(summary), "", *_held_out_lines(summary)])


def results_summary(summary: dict[str, Any]) -> str:
    """The README's results sentences, every figure taken from the grid's summary."""
    primary, best, baseline = summary["primary"], summary["best"], summary["baseline"]
    c = summary.get("comparison")
    sentences = [
        f"On `{summary['dataset']}` ({summary['queries']} queries: the best configuration is "
        f"picked on {summary['tuning_queries']} and measured on the other "
        f"{summary['held_out_queries']}), the best is `{best}`."
    ]
    if c:
        excludes_zero = c["ci95_low"] > 0 or c["ci95_high"] < 0
        significant = excludes_zero and c["t_test_p"] < 0.05 and c["wilcoxon_p"] < 0.05
        sentences.append(
            f"On the held-out queries it scores {primary} {c['mean_system']:.3f} against "
            f"{c['mean_baseline']:.3f} for the baseline `{baseline}` (difference "
            f"{c['mean_difference']:+.3f}, 95% CI [{c['ci95_low']:+.3f}, {c['ci95_high']:+.3f}], "
            f"Wilcoxon p = {c['wilcoxon_p']:.2g}): "
            + ("a significant difference." if significant else "not a significant difference.")
        )
    else:
        held_out = summary["held_out"][best][primary]
        sentences.append(
            f"It is also the baseline; on the held-out queries it scores {primary} {held_out:.3f}."
        )
    by_retriever: dict[str, dict[str, Any]] = {}
    for row in _sorted_rows(summary):
        by_retriever.setdefault(str(row["retriever"]), row)
    if len(by_retriever) > 1:
        best_chunking = ", ".join(
            f"`{name}` with {row['chunker']} ({row[primary]:.3f})"
            for name, row in by_retriever.items()
        )
        sentences.append(f"Best chunking per retriever on the tuning queries: {best_chunking}.")
    failures = len(summary["failures"])
    sentences.append(
        f"{failures} queries have no relevant document in the best configuration's top 10 "
        "(listed in the report)."
    )
    return "\n".join(sentences)


def _sorted_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(summary["table"], key=lambda row: -row[summary["primary"]])


def plot_metric(summary: dict[str, Any], path: Path) -> tuple[float, float]:
    """Each configuration's mean with its 95% interval; the axis spans the intervals, not 0-1,
    so differences of a few hundredths are visible (and so is how much the intervals overlap)."""
    rows = _sorted_rows(summary)[::-1]
    primary = summary["primary"]
    colors = {"bm25": "#4c72b0", "dense": "#dd8452", "hybrid": "#55a868"}
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.4))
    lows = [row["ci95_low"] for row in rows]
    highs = [row["ci95_high"] for row in rows]
    for y, row in enumerate(rows):
        color = colors.get(str(row["retriever"]).split("-")[0], "#8172b3")
        ax.errorbar(
            row[primary],
            y,
            xerr=[[row[primary] - row["ci95_low"]], [row["ci95_high"] - row[primary]]],
            fmt="o",
            color=color,
            ecolor=color,
            capsize=3,
            markersize=5,
        )
    ax.set_yticks(range(len(rows)), [row["config"] for row in rows])
    baseline = next(row for row in rows if row["config"] == summary["baseline"])
    ax.axvline(baseline[primary], color="black", linestyle="--", linewidth=1)
    span = max(highs) - min(lows)
    ax.set_xlim(min(lows) - 0.05 * span - 1e-3, max(highs) + 0.05 * span + 1e-3)
    ax.set_xlabel(
        f"{primary}: mean and 95% bootstrap interval over the {summary['tuning_queries']} "
        "tuning queries"
    )
    ax.grid(True, axis="x", alpha=0.3)
    shown = dict.fromkeys(str(row["retriever"]).split("-")[0] for row in rows)
    handles: list[Artist] = [
        Line2D([], [], color=colors.get(name, "#8172b3"), marker="o", label=name) for name in shown
    ]
    handles.append(Line2D([], [], color="black", linestyle="--", label="baseline"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    low, high = ax.get_xlim()
    plt.close(fig)
    return float(low), float(high)


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
    ax.set_ylabel(f"recall@k (mean over the {summary['tuning_queries']} tuning queries)")
    ax.set_ylim(0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _markdown(summary: dict[str, Any], bench: dict[str, Any] | None) -> str:
    metrics: list[str] = summary["metrics"]
    primary = summary["primary"]
    lines = [
        "# Results",
        "",
        f"Dataset `{summary['dataset']}`, {summary['queries']} judged queries, split (seeded) "
        f"into {summary['tuning_queries']} tuning and {summary['held_out_queries']} held-out "
        "queries. Written by `make report` from `make eval`'s output (reports/grid/); rerun "
        "both to reproduce.",
        "Rankings are mapped from chunks to documents by each document's best chunk, and scored "
        "with trec_eval's conventions (see evaluation/metrics.py). "
        f"Means: {summary['convention']}.",
        "",
        "## Selected configuration, measured on held-out queries",
        "",
        *_held_out_lines(summary),
        "",
        format_comparison(summary),
        "",
        f"The configuration was picked by its {primary} on the tuning queries only; the figures "
        "above come from the held-out queries, which played no part in the choice. A difference "
        "counts when its 95% interval excludes 0 and the paired tests agree.",
        "",
        f"## Configurations (tuning queries, {summary['tuning_queries']})",
        "",
        "| config | chunks | " + " | ".join(metrics) + f" | {primary} 95% CI | index s |",
        "|---|---:|" + "---:|" * len(metrics) + "---:|---:|",
    ]
    for row in _sorted_rows(summary):
        name = f"**{row['config']}**" if row["config"] == summary["best"] else row["config"]
        cells = " | ".join(f"{row[m]:.4f}" for m in metrics)
        interval = f"[{row['ci95_low']:.3f}, {row['ci95_high']:.3f}]"
        lines.append(
            f"| {name} | {row['chunks']} | {cells} | {interval} | {row['index_seconds']:.2f} |"
        )
    lines += [
        "",
        "![metric per configuration](metric_per_config.png)",
        "",
        "![recall at k](recall_at_k.png)",
        "",
        "## What actually improved quality (tuning queries)",
        "",
        *_improvements(summary),
        "",
        f"## Queries the best configuration still fails (all {summary['queries']})",
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


def _held_out_lines(summary: dict[str, Any]) -> list[str]:
    """The best configuration and the baseline, every metric, on the held-out queries."""
    metrics: list[str] = summary["metrics"]
    lines = [
        f"| held-out ({summary['held_out_queries']} queries) | " + " | ".join(metrics) + " |",
        "|---|" + "---:|" * len(metrics),
    ]
    for name, means in summary["held_out"].items():
        role = "best on tuning" if name == summary["best"] else "baseline"
        if name == summary["best"] == summary["baseline"]:
            role = "best on tuning, also the baseline"
        cells = " | ".join(f"{means[m]:.4f}" for m in metrics)
        lines.append(f"| {name} ({role}) | {cells} |")
    return lines


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
            f"Held-out queries the best configuration {title} against the baseline ({primary}):",
            "",
            "| query | text | baseline | best |",
            "|---|---|---:|---:|",
            *(
                f"| {e['query_id']} | {e['text']} | {e['baseline']:.3f} | {e['best']:.3f} |"
                for e in entries
            ),
        ]
    return lines


def scaling_table(rows: list[dict[str, Any]]) -> list[str]:
    """`make bench`'s scaling rows as a markdown table."""
    lines = [
        "| index | corpus | documents | chunks | size MB | build s | chunks/s | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['index']} | {r['scale']}x | {r['documents']:,} | {r['chunks']:,} | "
            f"{r['index_mb']:.1f} | {r['build_s']:.3f} | {r['build_chunks_per_s']:,.0f} | "
            f"{r['query_p50_ms']:.2f} | {r['query_p95_ms']:.2f} |"
        )
    return lines


def throughput_table(rows: list[dict[str, Any]]) -> list[str]:
    """`make bench`'s BM25 throughput rows: this project's search against bm25s's batched one."""
    lines = [
        "| BM25 queries/s | chunks | queries | this project | bm25s retrieve | ratio "
        "| max score difference | load average |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['corpus']} | {r['chunks']:,} | {r['queries']} | {r['queries_per_s']:,.0f} | "
            f"{r['bm25s_queries_per_s']:,.0f} | {r['speed_ratio_ours_over_bm25s']:.2f}x | "
            f"{r['max_abs_score_difference']:.1g} | {r['load_average_1m']:.2f} |"
        )
    return lines


def _bench_lines(bench: dict[str, Any]) -> list[str]:
    lines = [*scaling_table(bench.get("scaling", [])), ""]
    if bench.get("bm25_throughput"):
        lines += [*throughput_table(bench["bm25_throughput"]), ""]
    lines += ["| measure | value |", "|---|---:|"]
    for key, value in bench["measures"].items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        lines.append(f"| {key} | {shown} |")
    lines += ["", str(bench.get("note", ""))]
    return lines
