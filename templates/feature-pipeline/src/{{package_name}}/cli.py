"""The command line: one thin command per job; only here do errors become exit codes."""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from .definitions import FEATURE_NAMES
from .errors import InputError, PipelineError, SkewCheckFailedError
from .jobs import steps
from .jobs.pipeline import format_summary, run_pipeline
from .settings import Settings
from .skew.check import raise_on_failure, skew_table
from .skew.served import served_skew_table

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    help="Feature pipeline with train/serve skew checks. Settings: FEATURES_* variables.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@contextmanager
def _clean_errors() -> Iterator[None]:
    """One line on stderr and a documented exit code instead of a traceback."""
    try:
        yield
    except InputError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except SkewCheckFailedError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except PipelineError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_FAILED) from None


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        env = f"FEATURES_{where.upper()}" if first["loc"] else "FEATURES_* settings"
        raise InputError(f"{env}: {first['msg']}") from err


@app.command()
def generate() -> None:
    """Write the seeded synthetic raw events (dirty rows included) to data/raw/events.csv."""
    with _clean_errors():
        settings = _settings()
        rows = steps.generate(settings)
        typer.echo(f"wrote {rows} raw events to {settings.synthetic_events_path}")


@app.command()
def ingest() -> None:
    """Validate raw events with pandera; clean rows to Parquet, every rejected row counted."""
    with _clean_errors():
        report = steps.ingest(_settings())
        typer.echo(
            f"{report.rows_read} rows read: {report.rows_valid} valid, "
            f"{report.rows_rejected} rejected"
        )
        for check, count in report.failures_by_check.items():
            typer.echo(f"  {count:>6}  {check}")


@app.command()
def features() -> None:
    """Compute daily per-user snapshots into the offline store (DuckDB, Spark or PostgreSQL)."""
    with _clean_errors():
        settings = _settings()
        rows = steps.compute_features(settings)
        typer.echo(f"wrote {rows} snapshots to {settings.offline_features_path}")


@app.command("training-set")
def training_set() -> None:
    """Build a point-in-time correct training set (labels ASOF JOIN snapshots)."""
    with _clean_errors():
        settings = _settings()
        summary = steps.training_set(settings)
        typer.echo(
            f"wrote {summary.rows} rows to {settings.training_set_path} "
            f"({summary.positive_rate:.1%} positive, {summary.without_history} without history)"
        )


@app.command()
def materialize() -> None:
    """Load each user's newest snapshot into the online store (SQLite or PostgreSQL)."""
    with _clean_errors():
        settings = _settings()
        rows = steps.materialize_online(settings)
        typer.echo(f"materialised {rows} users into {settings.online_url}")


@app.command()
def feast() -> None:
    """Write data/feast_repo/ from definitions.py, then feast apply and materialize it."""
    with _clean_errors():
        repo = steps.feast_apply(_settings())
        typer.echo(
            f"applied and materialised the Feast repository {repo} "
            f"(try: uv run feast --chdir {repo} feature-views list)"
        )


@app.command()
def train() -> None:
    """Train the model on the training set (time-based holdout) and save it with its references."""
    with _clean_errors():
        settings = _settings()
        summary = steps.train(settings)
        h = summary.holdout
        typer.echo(
            f"trained on {summary.train_rows} labels before {summary.holdout_from:%Y-%m-%d} "
            f"({summary.purged_rows} purged); holdout of {h.rows}: ROC AUC {h.roc_auc:.3f}, "
            f"average precision {h.average_precision:.3f}, Brier {h.brier:.4f} "
            f"(constant {h.baseline_brier:.4f}); saved to {settings.model_dir}"
        )


@app.command("parity-check")
def parity_check() -> None:
    """Recompute stored vectors on the Python path and compare; exit 1 above the thresholds."""
    with _clean_errors():
        report = steps.parity_check(_settings())
        typer.echo(skew_table(report))
        raise_on_failure(report.failures, "parity check")


@app.command("parity-drills")
def parity_drills() -> None:
    """Replay the events through known streaming-path bugs; the parity check must catch each."""
    with _clean_errors():
        results = steps.parity_drills(_settings())
        for r in results:
            verdict = "caught" if r.caught else "MISSED"
            typer.echo(
                f"{r.drill:<26}{verdict:<8}{len(r.flagged_features):>3} of {len(FEATURE_NAMES)} "
                f"features flagged, worst mismatch {r.worst_mismatch_rate:6.1%}, "
                f"worst PSI {r.worst_psi:.3f}"
            )
        missed = [r.drill for r in results if not r.caught]
        if missed:
            raise SkewCheckFailedError(f"parity drills the check missed: {', '.join(missed)}")


@app.command("replay-traffic")
def replay_traffic(
    requests: Annotated[int, typer.Option(min=1, help="Lookups to score and log.")] = 2_000,
) -> None:
    """Score random users through the serving path and log them, as the service does."""
    with _clean_errors():
        served = steps.replay_traffic(_settings(), requests)
        typer.echo(f"served and logged {served} predictions")


@app.command("skew-check")
def skew_check() -> None:
    """Served vectors (from the log) vs the offline store as of each request; exit 1 if off."""
    with _clean_errors():
        report = steps.skew_check(_settings())
        typer.echo(served_skew_table(report))
        raise_on_failure(report.failures, "served skew check")


@app.command("skew-drills")
def skew_drills() -> None:
    """Inject known bugs into the serving path; the served skew check must catch each."""
    with _clean_errors():
        results = steps.skew_drills(_settings())
        for r in results:
            verdict = "caught" if r.caught else "passed"
            typer.echo(
                f"{r.drill:<34}{verdict:<8} worst mismatch {r.worst_mismatch_rate:6.1%}, "
                f"worst distance {r.worst_distance:.3f}  {', '.join(r.flagged)}"
            )
        control, drills = results[0], results[1:]
        missed = [r.drill for r in drills if not r.caught]
        if control.caught:
            raise SkewCheckFailedError(
                "skew drills: the control run without a bug failed the check"
            )
        if missed:
            raise SkewCheckFailedError(f"skew drills the check missed: {', '.join(missed)}")


@app.command()
def serve() -> None:
    """Run the scoring service (POST /predict, /healthz, /readyz, /metrics) until stopped."""
    from .service.server import run_server

    with _clean_errors():
        settings = _settings()
        typer.echo(f"serving on http://{settings.host}:{settings.port} (Ctrl-C to stop)")
        run_server(settings)


@app.command()
def pipeline(
    events: Annotated[
        Path | None,
        typer.Option(help="Ingest this raw CSV instead of generating the synthetic source."),
    ] = None,
) -> None:
    """Everything: generate, ingest, features, training set, train, materialise, checks."""
    with _clean_errors():
        settings = _settings()
        if events is not None:
            if not events.is_file():
                raise InputError(f"{events}: no such file (expected a CSV of raw events)")
            settings = settings.model_copy(update={"events_csv": events})
        summary = run_pipeline(settings)
        typer.echo(format_summary(summary, settings))
        raise_on_failure(summary.parity.failures, "parity check")
        raise_on_failure(summary.skew.failures, "served skew check")


@app.command()
def lookup(user_id: Annotated[int, typer.Argument(help="The user to look up.")]) -> None:
    """Print one user's features from the online store, as a serving request would read them."""
    with _clean_errors():
        record = steps.lookup(_settings(), user_id)
        typer.echo(f"user {record.user_id} as of {record.as_of}")
        for name, value in record.features.items():
            typer.echo(f"  {name:<26}{_number(value)}")


@app.command()
def explain(user_id: Annotated[int, typer.Argument(help="The user to explain.")]) -> None:
    """One user's online-store features next to the serving path's, at the same as_of."""
    with _clean_errors():
        record, served = steps.explain(_settings(), user_id)
        typer.echo(f"user {user_id} as of {record.as_of}")
        typer.echo(f"  {'feature':<26}{'online store':>14}{'serving path':>14}")
        for name, value in served.items():
            stored = record.features.get(name)
            typer.echo(f"  {name:<26}{_number(stored):>14}{_number(value):>14}")


def _number(value: float | None) -> str:
    return "null" if value is None or math.isnan(value) else f"{value:.6g}"


@app.command()
def bench(
    runs: Annotated[int, typer.Option(min=1, help="Repetitions per measurement (median).")] = 5,
    with_10m: Annotated[
        bool, typer.Option("--with-10m", help="Also build offline features from 10M events.")
    ] = False,
    scaling_runs: Annotated[
        int, typer.Option(min=1, help="Repetitions per size of the offline build (median).")
    ] = 3,
) -> None:
    """Stage throughput, offline build at scale, lookup latency, skew-check time -> bench.json."""
    from .jobs.bench import SCALING_EVENTS, TEN_MILLION, format_bench, run_bench

    with _clean_errors():
        settings = _settings()
        sizes = (*SCALING_EVENTS, TEN_MILLION) if with_10m else SCALING_EVENTS
        result = run_bench(settings, runs=runs, scaling_events=sizes, scaling_runs=scaling_runs)
        typer.echo(format_bench(result))


@app.command()
def report() -> None:
    """Write reports/RESULTS.md and its PNG plots from the pipeline and bench results."""
    from .jobs.report import write_report

    with _clean_errors():
        path = write_report(_settings())
        typer.echo(f"wrote {path}")
