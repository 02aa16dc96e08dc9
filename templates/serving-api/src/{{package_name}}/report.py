"""`make report`: reports/RESULTS.md and its plots from what has run so far (the model's
metadata from `make train`, reports/bench.json from `make bench`), and the results section of
README.md. A missing input is not an error: its section says which command fills it."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from .readme_results import publish_headline, replace_results

# The targets the service is held to on a 2-core machine.
MAX_MONITORING_COST = 0.10
MAX_P99_MS_AT_8 = 50.0
MIN_RATIO_TO_BARE_APP = 1.0
# A 1-minute load average above this share of the cores means other work shared the servers'
# pinned core: each server then gets the scheduler's share of it, and throughput ratios say more
# about the scheduler than about the servers (see render_baseline_section).
BUSY_LOAD_PER_CPU = 0.75


def _label(run: dict[str, Any]) -> str:
    return (
        f"monitoring {'on' if run['monitoring'] else 'off'}, "
        f"batching {'on' if run['batching'] else 'off'}"
    )


def _configs(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        grouped.setdefault(_label(run), []).append(run)
    return grouped


def plot_throughput_and_latency(runs: list[dict[str, Any]], path: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, group in _configs(runs).items():
        concurrency = [r["concurrency"] for r in group]
        left.plot(concurrency, [r["rps"] for r in group], marker="o", label=label)
        right.plot(concurrency, [r["p99_ms"] for r in group], marker="o", label=label)
    left.set(xlabel="concurrent clients", ylabel="requests/s", title="Throughput", xscale="log")
    right.set(xlabel="concurrent clients", ylabel="ms", title="p99 latency", xscale="log")
    right.axhline(MAX_P99_MS_AT_8, color="grey", linestyle=":", label="p99 target at 8 clients")
    for axis in (left, right):
        axis.set_xticks(sorted({r["concurrency"] for r in runs}))
        axis.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        axis.grid(alpha=0.3)
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_monitoring_pairs(overhead: dict[str, Any], path: Path) -> None:
    fig, axis = plt.subplots(figsize=(6, 3.5))
    pairs = range(1, len(overhead["ratios"]) + 1)
    axis.plot(pairs, overhead["ratios"], "o", color="C0", label="throughput ratio")
    axis.plot(pairs, overhead["cpu_ratios"], "s", color="C1", label="CPU-per-request ratio")
    axis.axhline(
        overhead["median_ratio"], color="C0", label=f"median {overhead['median_ratio']:.3f}"
    )
    axis.axhline(
        overhead["median_cpu_ratio"], color="C1", label=f"median {overhead['median_cpu_ratio']:.3f}"
    )
    axis.axhline(1 - MAX_MONITORING_COST, color="grey", linestyle=":", label="target (0.90)")
    axis.set(xlabel="alternating pair", ylabel="throughput, on / off", title="Cost of monitoring")
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _targets(bench: dict[str, Any]) -> list[tuple[str, str, bool]]:
    runs = bench["runs"]
    ratio = bench["monitoring_overhead"]["median_ratio"]
    cpu_ratio = bench["monitoring_overhead"]["median_cpu_ratio"]
    errors = sum(r["errors"] for r in runs)
    p99_at_8 = [
        r["p99_ms"] for r in runs if r["concurrency"] == 8 and r["monitoring"] and not r["batching"]
    ]
    worst_p99 = max(p99_at_8) if p99_at_8 else float("nan")
    return [
        *_baseline_targets(bench.get("baseline")),
        (
            "monitoring costs at most 10% of throughput (c=32), judged on server CPU per request",
            f"CPU-based {cpu_ratio:.3f}, throughput {ratio:.3f}",
            cpu_ratio >= 1 - MAX_MONITORING_COST,
        ),
        ("zero errors", f"{errors} errors", errors == 0),
        (
            "p99 under 50 ms at c=8 (default config)",
            f"{worst_p99:.1f} ms",
            worst_p99 < MAX_P99_MS_AT_8,
        ),
    ]


def _baseline_targets(baseline: dict[str, Any] | None) -> list[tuple[str, str, bool]]:
    if baseline is None:
        return []
    return [
        (
            "throughput at least the bare FastAPI + scikit-learn app's (c=32, everything on)",
            f"{baseline['median_ratio']:.2f}x",
            baseline["median_ratio"] >= MIN_RATIO_TO_BARE_APP,
        ),
        (
            "p99 no worse than the bare app's (c=32)",
            f"{baseline['service_p99_ms']:.1f} ms vs {baseline['bare_p99_ms']:.1f} ms",
            baseline["service_p99_ms"] <= baseline["bare_p99_ms"],
        ),
    ]


def busy_machine_warning(bench: dict[str, Any]) -> list[str]:
    """A paragraph when the machine was busy during `make bench`, else nothing."""
    machine = bench["machine"]
    loads = [
        machine.get("load_average_before", [0.0])[0],
        machine.get("load_average_after", [0.0])[0],
    ]
    if max(loads) <= BUSY_LOAD_PER_CPU * machine["cpus"]:
        return []
    return [
        f"**The machine was busy** (1-minute load average up to {max(loads):.2f} on"
        f" {machine['cpus']} CPUs): other processes shared the servers' core, each server got the"
        " scheduler's share of it, and the throughput figures and ratios below measure that share"
        " as much as the servers. Rerun `make bench` on a quiet machine before comparing them.",
        "",
    ]


# README.md's results section lies between these markers; `make report` rewrites it.
README_BEGIN = "<!-- results:begin -->"
README_END = "<!-- results:end -->"


def measured_where(bench: dict[str, Any]) -> str:
    """Where and when a benchmark ran, as bench.json recorded it."""
    machine = bench["machine"]
    when = bench.get("measured_at", "an unrecorded date")
    cpu = machine.get("cpu_model") or "CPU model not recorded"
    load = ""
    if "load_average_before" in machine:
        before, after = machine["load_average_before"][0], machine["load_average_after"][0]
        load = f"; load average {before:.2f} before, {after:.2f} after"
    return (
        f"measured by `make bench` on {when} on {machine['cpus']} CPUs ({cpu};"
        f" {machine.get('platform', 'platform not recorded')}; Python {machine['python']}{load})"
    )


def render_baseline_section(bench: dict[str, Any]) -> list[str]:
    """The service against the bare FastAPI + scikit-learn app (bench/bare_app.py)."""
    lines = ["### Against a bare FastAPI + scikit-learn app", ""]
    baseline = bench.get("baseline")
    if baseline is None:
        return [*lines, "Not in this bench.json: `make bench` runs the comparison.", ""]
    return [
        *lines,
        "The service with monitoring, drift, auth and access logs on, and the app a user would"
        " write first (bench/bare_app.py: the same model file, pydantic, `predict_proba`), up"
        f" side by side and driven in {len(baseline['ratios'])} alternating"
        f" {baseline['seconds_per_window']} s windows at {baseline['concurrency']} clients.",
        "",
        "| | service | bare app |",
        "|---|---|---|",
        f"| req/s (median window) | {statistics.median(baseline['service_rps']):.0f} |"
        f" {statistics.median(baseline['bare_rps']):.0f} |",
        f"| p99 ms (median window) | {baseline['service_p99_ms']:.1f} |"
        f" {baseline['bare_p99_ms']:.1f} |",
        f"| server CPU ms/request | {baseline['service_cpu_ms_per_request']:.3f} |"
        f" {baseline['bare_cpu_ms_per_request']:.3f} |",
        "",
        f"Median throughput ratio service/bare: **{baseline['median_ratio']:.2f}x** (pairs ranged"
        f" {min(baseline['ratios']):.2f}-{max(baseline['ratios']):.2f}); errors"
        f" {baseline['errors']}. On a loaded machine, the CPU per request is the steadier figure.",
        "",
    ]


def render_backends_section(bench: dict[str, Any]) -> list[str]:
    """The inference backends, timed in process (bench/backends.py)."""
    lines = ["### Inference backends", ""]
    backends = bench.get("backends")
    if backends is None:
        return [*lines, "Not in this bench.json: `make bench` times both backends.", ""]
    if "skipped" in backends:
        return [*lines, f"Not timed: {backends['skipped']}.", ""]
    faster = "onnx" if backends["speedup_single"] > 1 else "sklearn"
    return [
        *lines,
        "One model call in process, median microseconds (calls alternate between the backends):",
        "",
        f"| backend | 1 row | {backends['batch_rows']} rows |",
        "|---|---|---|",
        *(
            f"| {name} | {row['single_row_us']:.1f} | {row['batched_us']:.1f} |"
            for name, row in ((name, backends[name]) for name in ("sklearn", "onnx"))
        ),
        "",
        f"ONNX Runtime is {backends['speedup_single']:.1f}x scikit-learn's speed on one row and"
        f" {backends['speedup_batched']:.1f}x on {backends['batch_rows']}; the faster one on one"
        f" row here is **{faster}** (`SERVING_INFERENCE_BACKEND=auto`, the default, serves ONNX"
        " where the artifact has an export).",
        "",
    ]


def render_model_section(metadata: dict[str, Any] | None) -> list[str]:
    if metadata is None:
        return ["## Model", "", "No model artifact yet: `make train` writes one.", ""]
    metrics = metadata["metrics"]
    return [
        f"## Model `{metadata['version']}`",
        "",
        f"{metadata['model_type']} on {metadata['training']['train_rows']} synthetic applications,"
        f" evaluated on {metadata['training']['test_rows']} held out (seed "
        f"{metadata['training']['seed']}, data fingerprint `{metadata['data_fingerprint'][:12]}`).",
        "",
        "| metric | held-out value |",
        "|---|---|",
        *(f"| {name} | {value:.4f} |" for name, value in metrics.items()),
        "",
        "`log_loss_base_rate` is the log loss of always predicting the training default rate.",
        "",
    ]


def render_serving_section(bench: dict[str, Any] | None) -> list[str]:
    if bench is None:
        return [
            "## Serving",
            "",
            "Not measured yet: `make bench` load-tests the server and writes reports/bench.json"
            " (a few minutes), then `make report` fills this section.",
            "",
        ]
    machine = bench["machine"]
    overhead = bench["monitoring_overhead"]
    lines = [
        "## Serving",
        "",
        f"Figures {measured_where(bench)}. Server pinned to one core and the load generator to",
        f"the other: {machine['pinned']}. One application per request, closed",
        f"loop; each row is the median of {bench['config'].get('rounds', 1)} interleaved rounds of"
        f" {bench['config']['seconds']} s (after a warm-up each); errors are summed over rounds.",
        "",
        *busy_machine_warning(bench),
        "| monitoring | batching | clients | req/s | p50 ms | p95 ms | p99 ms | errors |"
        " server CPU ms/req | server RSS MiB | ready s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in bench["runs"]:
        lines.append(
            f"| {'on' if r['monitoring'] else 'off'} | {'on' if r['batching'] else 'off'} | "
            f"{r['concurrency']} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['errors']} | {r['server_cpu_ms_per_request']:.3f} | "
            f"{r['server_rss_mb']:.0f} | {r['ready_s']:.2f} |"
        )
    lines += [
        "",
        "![throughput and p99 latency](throughput_latency.png)",
        "",
        "### Cost of monitoring",
        "",
        f"Two servers side by side, monitoring on and off, driven in {len(overhead['ratios'])}"
        f" alternating {overhead['seconds_per_window']} s windows at {overhead['concurrency']}"
        " clients (alternating pairs cancel most of the machine's drift in load).",
        f"Median throughput ratio on/off: **{overhead['median_ratio']:.3f}**"
        f" (pairs ranged {min(overhead['ratios']):.3f}-{max(overhead['ratios']):.3f}).",
        "Throughput on a shared machine moves with whatever else runs; the server's CPU time per"
        " request does much less, and a CPU-bound server's throughput is its inverse. Median"
        f" CPU-per-request ratio off/on: **{overhead['median_cpu_ratio']:.3f}** (on:"
        f" {statistics.median(overhead['on_cpu_ms_per_request']):.3f} ms, off:"
        f" {statistics.median(overhead['off_cpu_ms_per_request']):.3f} ms per request).",
        "",
        "![monitoring cost per pair](monitoring_overhead.png)",
        "",
        *render_backends_section(bench),
        *render_baseline_section(bench),
        "### Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        *(f"| {name} | {value} | {'yes' if ok else 'no'} |" for name, value, ok in _targets(bench)),
        "",
    ]
    return lines


def render_markdown(bench: dict[str, Any] | None, metadata: dict[str, Any] | None) -> str:
    lines = [
        "# Results",
        "",
        "Written by `make report` from the artifact's metadata (`make train`) and",
        "`reports/bench.json` (`make bench`). Rerun them to refresh; every number below comes from",
        "them.",
        "",
        *render_model_section(metadata),
        *render_serving_section(bench),
    ]
    return "\n".join(lines)


def _default_runs(bench: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in bench["runs"] if r["monitoring"] and not r["batching"]]


def _readme_backends_line(bench: dict[str, Any]) -> list[str]:
    backends = bench.get("backends")
    if backends is None or "skipped" in backends:
        return []
    sklearn, onnx = backends["sklearn"], backends["onnx"]
    baseline = bench.get("baseline")
    versus_bare = []
    if baseline is not None:
        versus_bare = [
            "",
            f"Against a bare FastAPI + scikit-learn app at {baseline['concurrency']} clients"
            f" (everything on): {baseline['median_ratio']:.2f}x its throughput, p99"
            f" {baseline['service_p99_ms']:.0f} ms vs {baseline['bare_p99_ms']:.0f} ms.",
        ]
    return [
        "",
        f"Inference backends, one model call (medians): scikit-learn"
        f" {sklearn['single_row_us']:.0f} us, ONNX Runtime {onnx['single_row_us']:.0f} us for one"
        f" row; {sklearn['batched_us']:.0f} us vs {onnx['batched_us']:.0f} us for"
        f" {backends['batch_rows']} rows.",
        *versus_bare,
    ]


def render_readme_results(bench: dict[str, Any] | None) -> str:
    """The README's results section: a summary of bench.json, saying where and when it ran."""
    if bench is None:
        return (
            "Not measured on this machine yet: `make bench report` load-tests the server (a few"
            " minutes) and writes the figures here and in [reports/RESULTS.md](reports/RESULTS.md)."
        )
    overhead = bench["monitoring_overhead"]
    lines = [
        f"Figures {measured_where(bench)}; one application per request, the server pinned to one"
        " core. `make bench report` measures again and rewrites this section.",
        "",
        "| config | clients | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
        *(
            f"| default (monitoring on, batching off) | {r['concurrency']} | {r['rps']:.0f} |"
            f" {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |"
            for r in _default_runs(bench)
        ),
        "",
        f"Monitoring at {overhead['concurrency']} clients: throughput ratio on/off"
        f" {overhead['median_ratio']:.3f}, server CPU per request off/on"
        f" {overhead['median_cpu_ratio']:.3f} (medians of {len(overhead['ratios'])} alternating"
        " pairs). Every configuration, with plots: [reports/RESULTS.md](reports/RESULTS.md).",
        *_readme_backends_line(bench),
        "",
        "![throughput and latency](reports/throughput_latency.png)",
    ]
    return "\n".join(lines)


def render_headline(bench: dict[str, Any] | None, metadata: dict[str, Any] | None) -> str:
    """The results in brief (WRITEUP.md, CI's job summary): the model's held-out metrics as
    RESULTS.md shows them, then the README's serving figures."""
    model = render_model_section(metadata)[2:]  # without its heading: the reader's page has one
    return "\n".join([*model, render_readme_results(bench)])


def publish(
    bench: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    output_dir: Path,
    writeup: Path | None = None,
) -> Path:
    """reports/SUMMARY.md (`make summary`) and, with `writeup`, WRITEUP.md's results section."""
    summary = output_dir / "SUMMARY.md"
    publish_headline(render_headline(bench, metadata), summary, writeup)
    return summary


def update_readme(readme: Path, section: str) -> bool:
    """Replace the text between the results markers; False (file untouched) if they are gone."""
    return replace_results(readme, README_BEGIN, README_END, section)


def write_report(
    bench: dict[str, Any] | None, metadata: dict[str, Any] | None, output_dir: Path
) -> Path:
    """RESULTS.md from what exists; plots only from a benchmark (older plots stay as they are)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    if bench is not None:
        plot_throughput_and_latency(bench["runs"], output_dir / "throughput_latency.png")
        plot_monitoring_pairs(bench["monitoring_overhead"], output_dir / "monitoring_overhead.png")
    path = output_dir / "RESULTS.md"
    path.write_text(render_markdown(bench, metadata))
    return path
