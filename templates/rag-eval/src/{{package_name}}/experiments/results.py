"""Write a grid's results: summary.json, per_query.csv, TREC run files; and the console table."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..data.trec import write_run
from .grid import GridResult


def write_results(result: GridResult, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    config, split = result.config, result.split
    metrics = list(dict.fromkeys([config.primary, *config.metrics]))
    summary: dict[str, Any] = {
        "dataset": result.dataset,
        "primary": config.primary,
        "baseline": config.baseline,
        "best": result.best,
        "metrics": metrics,
        "convention": "trec_eval -c: every judged query counts, one without results scores 0",
        "queries": len(split.query_ids),
        "tuning_queries": int(split.tuning.sum()),
        "held_out_queries": int(split.held_out.sum()),
        "split": {"tuning": split.ids(split.tuning), "held_out": split.ids(split.held_out)},
        "table": [r.summary(metrics, split.tuning) for r in result.results],
        "held_out": result.held_out,
        "recall_curves": {r.name: r.recall_curve for r in result.results},
        "comparison": result.comparison.as_dict() if result.comparison else None,
        "failures": [asdict(f) for f in result.failures],
        "changes": query_changes(result),
        "notes": result.notes,
    }
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    tuning = set(summary["split"]["tuning"])
    with (out_dir / "per_query.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["config", "query_id", "split", *metrics])
        for r in result.results:
            columns = [r.evaluation.scores[m] for m in metrics]
            for i, query_id in enumerate(r.evaluation.query_ids):
                part = "tuning" if query_id in tuning else "held-out"
                writer.writerow([r.name, query_id, part, *(f"{col[i]:.6f}" for col in columns)])
    for r in result.results:
        write_run(out_dir / "runs" / f"{r.name.replace('/', '__')}.trec", r.run, tag=r.name)
    return path


def query_changes(result: GridResult, top: int = 5) -> dict[str, list[dict[str, object]]]:
    """The held-out queries the best configuration improved most over the baseline, and those
    it hurt."""
    metric = result.config.primary
    held_out = set(result.split.ids(result.split.held_out))
    best = result.by_name(result.best).evaluation.per_query(metric)
    base = result.by_name(result.config.baseline).evaluation.per_query(metric)
    by_change = sorted(held_out, key=lambda q: (base[q] - best[q], q))

    def entry(q: str) -> dict[str, object]:
        text = result.query_texts.get(q, "")
        return {"query_id": q, "text": text, "baseline": base[q], "best": best[q]}

    gains = [entry(q) for q in by_change if best[q] > base[q]][:top]
    losses = [entry(q) for q in reversed(by_change) if best[q] < base[q]][:top]
    return {"gains": gains, "losses": losses}


def format_table(summary: dict[str, Any]) -> str:
    """The results as an aligned text table, best primary metric first (tuning queries)."""
    metrics: list[str] = summary["metrics"]
    primary = summary["primary"]
    rows = sorted(summary["table"], key=lambda row: -row[primary])
    header = ["config", "chunks", *metrics, f"{primary} 95% CI", "index s"]
    lines = [
        [
            str(row["config"]) + (" *" if row["config"] == summary["best"] else ""),
            str(row["chunks"]),
            *(f"{row[m]:.4f}" for m in metrics),
            f"[{row['ci95_low']:.3f}, {row['ci95_high']:.3f}]",
            f"{row['index_seconds']:.2f}",
        ]
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [
        f"Means over the {summary['tuning_queries']} tuning queries of {summary['queries']} "
        f"({summary['convention']}); * = picked on them.",
        fmt(header),
        fmt(["-" * w for w in widths]),
        *(fmt(line) for line in lines),
    ]
    return "\n".join(out)


def format_comparison(summary: dict[str, Any]) -> str:
    c = summary.get("comparison")
    if not c:
        return (
            f"The baseline {summary['baseline']} is also the best configuration on the tuning "
            "queries: nothing to compare."
        )
    return (
        f"{c['system']} (picked on the {summary['tuning_queries']} tuning queries) vs baseline "
        f"{c['baseline']} on {c['metric']} over the {c['queries']} held-out queries: "
        f"{c['mean_system']:.4f} vs {c['mean_baseline']:.4f} "
        f"(difference {c['mean_difference']:+.4f}, "
        f"95% CI [{c['ci95_low']:+.4f}, {c['ci95_high']:+.4f}]; "
        f"{c['wins']} wins, {c['losses']} losses, {c['ties']} ties; "
        f"paired t-test p = {c['t_test_p']:.3g}, Wilcoxon p = {c['wilcoxon_p']:.3g})"
    )
