"""The command line: one short command per job; errors meant for people become one line."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from transformers.utils import logging as hf_logging

from .config import TrainConfig, load_config
from .errors import ConfigError, ProjectError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

P = ParamSpec("P")
R = TypeVar("R")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Experiment YAML (configs/); LORA_* env vars override it"),
]
AdapterOption = Annotated[
    Path | None, typer.Option(help="Adapter folder [default: <out_dir>/<run_name>/adapter]")
]


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into `error: ...` and exit status 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        # peft still calls a transformers property deprecated in v5; harmless, and noisy.
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing", category=FutureWarning
        )
        try:
            return command(*args, **kwargs)
        except ProjectError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def _adapter(config: TrainConfig, adapter: Path | None) -> Path:
    return adapter if adapter is not None else config.run_dir / "adapter"


@app.command("init-model")
@one_line_errors
def init_model(
    out: Annotated[Path, typer.Option(help="Folder to create")] = Path("models/tiny-base"),
    seed: Annotated[int, typer.Option(help="Seed for the random weights")] = 0,
) -> None:
    """Write the tiny random-weight base model and its byte-level tokenizer to a folder."""
    from .modeling.tiny import TinyModelSpec, write_tiny_model

    write_tiny_model(out, TinyModelSpec(seed=seed))
    typer.echo(f"wrote tiny base model and tokenizer to {out}")


@app.command("make-dataset")
@one_line_errors
def make_dataset(
    out: Annotated[Path, typer.Option(help="Folder for the JSONL files")] = Path("data"),
) -> None:
    """Write the embedded instruction dataset (train and eval JSONL) to a folder."""
    from .data.generate import write_dataset

    for path in write_dataset(out):
        typer.echo(f"wrote {path}")


@app.command()
@one_line_errors
def train(
    config: ConfigOption = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing run folder")] = False,
) -> None:
    """Fine-tune LoRA adapters; logs to <run_dir>/metrics.jsonl, saves <run_dir>/adapter."""
    from .train import train as run_training

    settings = load_config(config)
    if settings.run_dir.exists() and any(settings.run_dir.iterdir()) and not overwrite:
        raise ConfigError(
            f"run folder {settings.run_dir} exists; pass --overwrite or a new run_name"
        )
    run_training(settings)


@app.command()
@one_line_errors
def evaluate(config: ConfigOption = None, adapter: AdapterOption = None) -> None:
    """Eval loss and perplexity of the base model and of base + adapter."""
    from .evaluate import evaluate_adapter

    settings = load_config(config)
    results = evaluate_adapter(settings, _adapter(settings, adapter))
    for name, result in results.items():
        typer.echo(
            f"{name:>8}: eval loss {result.loss:.4f}  perplexity {result.perplexity:.2f}  "
            f"({result.target_tokens} response tokens)"
        )


@app.command()
@one_line_errors
def merge(
    config: ConfigOption = None,
    adapter: AdapterOption = None,
    out: Annotated[Path | None, typer.Option(help="[default: <run_dir>/merged]")] = None,
) -> None:
    """Merge the adapter into the base weights and check the logits did not change."""
    from .merge import merge_adapter

    settings = load_config(config)
    result = merge_adapter(
        settings, _adapter(settings, adapter), out or settings.run_dir / "merged"
    )
    typer.echo(
        f"merged model saved to {result.out_dir}; max |logit diff| vs adapter model: "
        f"{result.max_abs_diff:.2e} in memory, {result.max_abs_diff_reloaded:.2e} reloaded"
    )


@app.command()
@one_line_errors
def generate(
    prompts: Annotated[list[str], typer.Argument(help="Instructions to respond to")],
    config: ConfigOption = None,
    adapter: AdapterOption = None,
    max_new_tokens: Annotated[int, typer.Option(min=1)] = 48,
) -> None:
    """Greedy responses from base + adapter."""
    from .generate_text import respond

    settings = load_config(config)
    for prompt, response in zip(
        prompts,
        respond(settings, _adapter(settings, adapter), prompts, max_new_tokens),
        strict=True,
    ):
        typer.echo(f"{prompt}\n  -> {response}")


@app.command()
@one_line_errors
def bench(
    config: ConfigOption = None,
    steps: Annotated[int, typer.Option(min=1, help="Measured steps per batching order")] = 20,
    out: Annotated[Path, typer.Option(help="Where to write the JSON")] = Path("reports/bench.json"),
) -> None:
    """Real (non-padding) tokens/s per batching order and for transformers' Trainer."""
    from .bench import bench_batching, format_table, write_bench

    settings = load_config(config)
    results = bench_batching(settings, steps=steps)
    write_bench(results, settings, out)
    typer.echo(format_table(results))
    typer.echo(f"wrote {out}")


@app.command()
@one_line_errors
def report(
    config: ConfigOption = None,
    bench_file: Annotated[Path, typer.Option("--bench")] = Path("reports/bench.json"),
    out: Annotated[Path, typer.Option(help="Reports folder")] = Path("reports"),
) -> None:
    """Write reports/RESULTS.md with the loss curve and throughput plots."""
    from .report import write_report

    path = write_report(load_config(config).run_dir, bench_file, out)
    typer.echo(f"wrote {path}")
