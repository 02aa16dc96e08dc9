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
    """Write the embedded instruction dataset (train, validation, test JSONL) to a folder."""
    from .data.generate import write_dataset

    for path in write_dataset(out).values():
        typer.echo(f"wrote {path}")


@app.command()
@one_line_errors
def train(
    config: ConfigOption = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the run folder's unfinished run from its checkpoint")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Remove the run folder and start again")] = False,
) -> None:
    """Fine-tune LoRA adapters; logs to <run_dir>/metrics.jsonl, saves <run_dir>/adapter."""
    from .train import train as run_training

    run_training(load_config(config), resume=resume, overwrite=overwrite)


@app.command()
@one_line_errors
def evaluate(config: ConfigOption = None, adapter: AdapterOption = None) -> None:
    """Base model vs base + adapter on the test split: loss, perplexity, exact match (95% CI)."""
    from .evaluate import evaluate_adapter, format_eval_table

    settings = load_config(config)
    adapter_dir = _adapter(settings, adapter)
    typer.echo(format_eval_table(evaluate_adapter(settings, adapter_dir)))
    typer.echo(f"wrote {adapter_dir.parent / 'eval.json'}")


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
def serve(
    config: ConfigOption = None,
    adapter: AdapterOption = None,
    no_adapter: Annotated[
        bool, typer.Option(help="Serve base_model alone (a merged model folder, say)")
    ] = False,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8000,
    max_new_tokens_limit: Annotated[int, typer.Option(min=1)] = 128,
    timeout: Annotated[float, typer.Option(help="Request timeout in seconds")] = 30.0,
) -> None:
    """HTTP generation endpoint: POST /generate, /healthz, /readyz, /metrics."""
    import uvicorn

    from .serve import ServeSettings, create_app

    settings = load_config(config)
    adapter_dir = None if no_adapter else _adapter(settings, adapter)
    if adapter_dir is not None and not (adapter_dir / "adapter_config.json").is_file():
        raise ConfigError(
            f"adapter {adapter_dir}: no adapter_config.json (run `make train`, or --no-adapter)"
        )
    app_settings = ServeSettings(
        base_model=settings.base_model,
        adapter_dir=adapter_dir,
        max_new_tokens_limit=max_new_tokens_limit,
        default_max_new_tokens=min(64, max_new_tokens_limit),
        max_prompt_tokens=settings.max_length,
        request_timeout_s=timeout,
    )
    uvicorn.run(create_app(app_settings), host=host, port=port, log_level="info")


@app.command("vllm-command")
@one_line_errors
def vllm_command(config: ConfigOption = None, adapter: AdapterOption = None) -> None:
    """Print the vLLM command that serves base_model with this adapter (--enable-lora)."""
    from .deploy import vllm_serve_command

    settings = load_config(config)
    typer.echo(vllm_serve_command(settings, _adapter(settings, adapter)))


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


@app.command("bench-gpu")
@one_line_errors
def bench_gpu(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The GPU recipe whose settings are measured")
    ] = Path("configs/gpu.yaml"),
    smoke: Annotated[
        bool, typer.Option(help="A toy size on any device: checks the code path, measures nothing")
    ] = False,
    out: Annotated[Path, typer.Option(help="Reports folder")] = Path("reports"),
) -> None:
    """Qwen2.5-0.5B architecture (random weights) on one GPU: the recipe vs padded batches."""
    from .gpu_bench import run_gpu_bench

    report_path = run_gpu_bench(load_config(config), out, smoke=smoke)
    typer.echo(report_path.read_text())
    typer.echo(f"wrote {report_path} and {report_path.with_suffix('.json')}")


@app.command()
@one_line_errors
def report(
    config: ConfigOption = None,
    bench_file: Annotated[Path, typer.Option("--bench")] = Path("reports/bench.json"),
    out: Annotated[Path, typer.Option(help="Reports folder")] = Path("reports"),
    readme: Annotated[
        Path, typer.Option(help="README whose results block is rewritten from the bench files")
    ] = Path("README.md"),
) -> None:
    """Write reports/RESULTS.md with the loss curve and throughput plots, and the README's
    results block."""
    from .report import write_report

    path = write_report(load_config(config).run_dir, bench_file, out, readme=readme)
    typer.echo(f"wrote {path}")
