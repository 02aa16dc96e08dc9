"""reports/RESULTS.md: the loss curve, the eval numbers and the throughput table, from files.

Everything here is read from what `train`, `evaluate` and `bench` wrote, so the report is only
ever as fresh as those runs, and anyone can regenerate it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from .bench import TRAINER_ROW, BatchingBench, format_table
from .errors import DataError
from .evaluate import format_eval_table
from .metrics import read_metrics
from .readme_results import publish_headline, replace_results


def plot_loss(records: list[dict[str, Any]], path: Path) -> None:
    train = [r for r in records if r["kind"] == "train"]
    evals = [r for r in records if r["kind"] == "eval"]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss")
    ax.plot([r["step"] for r in evals], [r["loss"] for r in evals], "o-", label="eval loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats per response token)")
    ax.set_title("LoRA fine-tuning loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_throughput(results: list[BatchingBench], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = [r.batching for r in results]
    ax.bar(names, [r.median_padded_tokens_per_s for r in results], label="padded", alpha=0.4)
    ax.bar(names, [r.median_real_tokens_per_s for r in results], label="real (non-padding)")
    ax.set_ylabel("tokens/s (median over steps)")
    ax.set_title("Training throughput: this loop vs transformers Trainer")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


README_START = "<!-- results: written by `make report` from reports/bench.json -->"
README_END = "<!-- /results -->"


def readme_results(bench: dict[str, Any], gpu_bench: dict[str, Any] | None) -> str:
    """The README's throughput paragraph and tables, every figure from the bench files."""
    results = [BatchingBench(**r) for r in bench["results"]]
    by_row = {r.batching: r.median_real_tokens_per_s for r in results}
    steps = min(r.steps for r in results)
    lines = [
        f"`make bench` on {bench.get('machine', bench['device'])} "
        f"({bench['torch_threads']} torch threads), base model `{bench['base_model']}`, "
        f"{bench['batch_size']} sequences x {bench['grad_accum_steps']} micro-batches per step, "
        f"{bench.get('precision', 'fp32')}; medians over {steps} steps per row, rows alternating. "
        f"Packed vs random: {by_row['packed'] / by_row['random']:.2f}x real tokens/s; this loop "
        f"length-grouped vs transformers' Trainer: "
        f"{by_row['length_grouped'] / by_row[TRAINER_ROW]:.2f}x.",
        "",
        format_table(results),
        "",
    ]
    if gpu_bench is None:
        lines.append(
            "GPU: not measured yet. `make bench-gpu` on a CUDA machine writes "
            "reports/gpu-bench.json, and `make report` then puts its table here."
        )
    else:
        lines.append(gpu_results_text(gpu_bench))
    return "\n".join(lines)


def gpu_results_text(gpu_bench: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"`make bench-gpu` on {gpu_bench['device']}: Qwen2.5-0.5B architecture, random "
            f"weights, {gpu_bench['precision']}, LoRA r={gpu_bench['lora']['lora_r']} on all "
            f"linear layers, batches of {gpu_bench['batch_size']} examples of up to "
            f"{gpu_bench['max_length']} tokens. Packed (the default GPU recipe) vs padded: "
            f"{gpu_bench['packed_vs_padded']:.2f}x real tokens/s.",
            "",
            format_table([BatchingBench(**r) for r in gpu_bench["results"]]),
        ]
    )


def headline(
    eval_payload: dict[str, Any] | None, bench: dict[str, Any], gpu_bench: dict[str, Any] | None
) -> str:
    """The results in brief (WRITEUP.md, CI's job summary): RESULTS.md's test-split table, then
    the README's throughput block, the same figures."""
    if eval_payload is None:
        lines = ["Test split: not measured yet (`make eval`)."]
    else:
        lines = [
            f"`make eval` on `{Path(eval_payload['split']).name}`, base model vs base + adapter:",
            "",
            format_eval_table(eval_payload),
        ]
    return "\n".join([*lines, "", readme_results(bench, gpu_bench)])


def update_readme(readme: Path, text_between: str) -> bool:
    """Replace what lies between the README's results markers; everything outside them is the
    user's and stays. A README without the markers is left alone (returns False)."""
    return replace_results(readme, README_START, README_END, text_between)


def write_report(
    run_dir: Path, bench_path: Path, reports_dir: Path, readme: Path | None = None
) -> Path:
    """RESULTS.md and its plots, and SUMMARY.md (the headline, for CI's job summary); with
    `readme`, also the README's results block and the results section of the WRITEUP.md beside
    it, so that no figure there is typed by hand."""
    records = read_metrics(run_dir / "metrics.jsonl")
    if not bench_path.is_file():
        raise DataError(f"benchmark file {bench_path} does not exist (run `make bench` first)")
    bench = json.loads(bench_path.read_text())
    results = [BatchingBench(**r) for r in bench["results"]]
    reports_dir.mkdir(parents=True, exist_ok=True)
    plot_loss(records, reports_dir / "loss_curve.png")
    plot_throughput(results, reports_dir / "throughput.png")

    config = (run_dir / "config.yaml").read_text() if (run_dir / "config.yaml").is_file() else ""
    evals = [r for r in records if r["kind"] == "eval"]
    trains = [r for r in records if r["kind"] == "train"]
    lines = [
        "# Results",
        "",
        f"Written by `make report` from `{run_dir}` and `{bench_path}`; rerun to refresh.",
        "",
        "## Loss",
        "",
        "![loss curve](loss_curve.png)",
        "",
        "| step | train loss | eval loss | eval perplexity |",
        "|---|---|---|---|",
    ]
    train_by_step = {r["step"]: r["loss"] for r in trains}
    for r in evals:
        train_loss = train_by_step.get(r["step"])
        shown = f"{train_loss:.4f}" if train_loss is not None else "-"
        lines.append(f"| {r['step']} | {shown} | {r['loss']:.4f} | {r['perplexity']:.2f} |")
    lines += ["", "## Test split: base model vs base + adapter", ""]
    eval_file = run_dir / "eval.json"
    payload = json.loads(eval_file.read_text()) if eval_file.is_file() else None
    if payload is not None:
        lines += [
            f"`make eval` on `{Path(payload['split']).name}`: loss and perplexity over response "
            "tokens; exact match of greedy responses, with 95% percentile bootstrap intervals.",
            "",
            format_eval_table(payload),
            "",
            "| task | " + " | ".join(payload["adapter"]["per_task"]) + " |",
            "|---|" + "---|" * len(payload["adapter"]["per_task"]),
        ]
        for name in ("base", "adapter"):
            scores = payload[name]["per_task"].values()
            lines.append(f"| {name} | " + " | ".join(f"{v:.0%}" for v in scores) + " |")
    else:
        lines.append(f"No {eval_file} yet: run `make eval`.")
    lines += [
        "",
        "## Throughput",
        "",
        f"Device: {bench['device']} ({bench['torch_threads']} threads), base model "
        f"`{bench['base_model']}`, {bench['batch_size']} sequences x {bench['grad_accum_steps']} "
        "micro-batches per step. Medians over steps, the rows alternating; peak memory is each "
        "row's, measured apart (CPU: peak resident set above the loaded model).",
        "",
        "![throughput](throughput.png)",
        "",
        format_table(results),
        "",
    ]
    gpu_path = bench_path.with_name("gpu-bench.json")
    gpu_bench = json.loads(gpu_path.read_text()) if gpu_path.is_file() else None
    if gpu_bench is not None:
        lines += ["## GPU throughput", "", gpu_results_text(gpu_bench), ""]
    lines += [
        "## Configuration of the run",
        "",
        "```yaml",
        config.rstrip(),
        "```",
        "",
    ]
    out = reports_dir / "RESULTS.md"
    out.write_text("\n".join(lines))
    if readme is not None:
        update_readme(readme, readme_results(bench, gpu_bench))
    writeup = None if readme is None else readme.with_name("WRITEUP.md")
    publish_headline(headline(payload, bench, gpu_bench), reports_dir / "SUMMARY.md", writeup)
    return out
