"""The project's command line: train, serve, demo, bench, report.

Each command parses its options and calls one function. Errors meant for people (a missing
artifact, bad settings) become one line on stderr and exit code 2; there is no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from .io.artifact import ArtifactError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.splitlines()[0])

USER_ERRORS = (ArtifactError, ValidationError, ValueError, FileNotFoundError)


def _fail(err: Exception) -> typer.Exit:
    message = str(err).strip().splitlines()
    if isinstance(err, ValidationError):
        message = [
            f"invalid setting {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in err.errors()
        ]
    typer.echo(f"error: {'; '.join(message)}", err=True)
    return typer.Exit(code=2)


@app.command()
def train(
    rows: Annotated[int, typer.Option(help="Synthetic applications to generate")] = 20_000,
    seed: Annotated[int, typer.Option(help="Seed of the data and the split")] = 7,
    model_type: Annotated[str, typer.Option(help="logistic or gbdt")] = "logistic",
    output: Annotated[Path, typer.Option(help="Artifact folder to write")] = Path(
        "artifacts/model"
    ),
) -> None:
    """Train on the synthetic loan book, evaluate on a held-out split, save the artifact."""
    from .training import TrainConfig
    from .training import train as run_training

    try:
        config = TrainConfig(n_rows=rows, seed=seed, model_type=model_type, output_dir=output)  # type: ignore[arg-type]
        metadata = run_training(config)
    except USER_ERRORS as err:
        raise _fail(err) from None
    metrics = metadata["metrics"]
    typer.echo(f"saved {metadata['version']} to {output}")
    typer.echo(
        f"held-out ROC AUC {metrics['roc_auc']:.4f}, average precision "
        f"{metrics['average_precision']:.4f}, log loss {metrics['log_loss']:.4f} "
        f"(base rate {metrics['log_loss_base_rate']:.4f}), Brier {metrics['brier']:.4f}"
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [SERVING_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [SERVING_PORT]")] = None,
    model_uri: Annotated[str | None, typer.Option(help="Artifact folder or models:/ URI")] = None,
) -> None:
    """Serve the API (settings from SERVING_* environment variables; options override)."""
    from .io.artifact import read_metadata
    from .server import run_server
    from .settings import Settings

    overrides = {"host": host, "port": port, "model_uri": model_uri}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
        if not settings.model_uri.startswith("models:/"):
            read_metadata(Path(settings.model_uri))  # fail here, clearly, not in the log
        settings.load_api_keys()
    except USER_ERRORS as err:
        raise _fail(err) from None
    run_server(settings)


@app.command()
def demo(
    model_uri: Annotated[str, typer.Option(help="Artifact folder")] = "artifacts/model",
) -> None:
    """Start the server, send normal then shifted traffic, show predictions and drift."""
    from .demo import run_demo

    try:
        run_demo(model_uri)
    except USER_ERRORS as err:
        raise _fail(err) from None


@app.command()
def bench(
    model_uri: Annotated[str, typer.Option(help="Artifact folder")] = "artifacts/model",
    seconds: Annotated[float, typer.Option(help="Measured seconds per run")] = 4.0,
    pairs: Annotated[int, typer.Option(help="Alternating on/off pairs for monitoring cost")] = 10,
    output: Annotated[Path, typer.Option(help="Where to write the JSON")] = Path(
        "reports/bench.json"
    ),
) -> None:
    """Load-test the real server: concurrency 1/8/32, monitoring and batching on and off."""
    from .bench.runner import BenchConfig, run_benchmark
    from .io.artifact import read_metadata

    try:
        read_metadata(Path(model_uri))
        if seconds <= 0 or pairs <= 0:
            raise ValueError(f"--seconds and --pairs must be positive (got {seconds}, {pairs})")
    except USER_ERRORS as err:
        raise _fail(err) from None
    run_benchmark(BenchConfig(model_uri=model_uri, seconds=seconds, overhead_pairs=pairs), output)
    typer.echo(f"wrote {output}")


@app.command()
def report(
    bench_json: Annotated[Path, typer.Option(help="Output of `bench`")] = Path(
        "reports/bench.json"
    ),
    model_uri: Annotated[str, typer.Option(help="Artifact folder")] = "artifacts/model",
    output_dir: Annotated[Path, typer.Option(help="Where RESULTS.md and plots go")] = Path(
        "reports"
    ),
) -> None:
    """Write reports/RESULTS.md and its PNG plots from the benchmark and the model metadata."""
    from .io.artifact import read_metadata
    from .report import write_report

    try:
        if not bench_json.is_file():
            raise FileNotFoundError(f"{bench_json} not found (run `make bench` first)")
        bench_result = json.loads(bench_json.read_text())
        metadata = read_metadata(Path(model_uri))
    except (*USER_ERRORS, json.JSONDecodeError) as err:
        raise _fail(err) from None
    path = write_report(bench_result, metadata, output_dir)
    typer.echo(f"wrote {path}")


if __name__ == "__main__":
    app()
