"""The command line: one short command per job; errors become one line and a non-zero exit."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError

from .errors import InputError, RagEvalError
from .settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
P = ParamSpec("P")
R = TypeVar("R")

EXIT_INPUT, EXIT_FAILURE = 2, 1


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into `error: ...` on stderr and a documented exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InputError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(EXIT_INPUT) from None
        except RagEvalError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(EXIT_FAILURE) from None
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            typer.echo(f"error: {where}: {first['msg']}", err=True)
            raise typer.Exit(EXIT_INPUT) from None

    return wrapper


def settings() -> Settings:
    current = Settings()
    if current.torch_threads:
        from .retrieval.embeddings import set_torch_threads

        set_torch_threads(current.torch_threads)
    return current


@app.command("eval")
@friendly_errors
def eval_command(
    config: Annotated[Path | None, typer.Option(help="grid config (TOML)")] = None,
    dataset: Annotated[Path | None, typer.Option(help="BEIR folder; default: the sample")] = None,
) -> None:
    """Run the chunking x retriever grid, write reports/grid/ and print the table."""
    from .experiments.results import format_comparison, format_table
    from .jobs import run_evaluation

    overrides = {"grid_config": config, "dataset": dataset}
    current = settings().model_copy(update={k: v for k, v in overrides.items() if v})
    summary = run_evaluation(current, progress=lambda line: typer.echo(f"  {line}", err=True))
    typer.echo(format_table(summary))
    typer.echo("")
    typer.echo(format_comparison(summary))
    failures = summary["failures"]
    typer.echo(f"{len(failures)} queries with no relevant document in the best top 10:")
    for failure in failures:
        typer.echo(f"  {failure['query_id']}: {failure['text']}")
    for note in summary["notes"]:
        typer.echo(note if note.startswith("warning: ") else f"note: {note}", err=True)
    typer.echo(f"wrote {current.reports_dir / 'grid'}")


@app.command()
@friendly_errors
def index(
    strategy: Annotated[
        str, typer.Option(help="document, fixed, sentence or markdown")
    ] = "markdown",
    size: Annotated[int, typer.Option(help="chunk size")] = 512,
    overlap: Annotated[int, typer.Option(help="overlap between chunks")] = 0,
    unit: Annotated[str, typer.Option(help="chars or tokens (fixed only)")] = "chars",
    retriever: Annotated[str, typer.Option(help="bm25, dense or hybrid")] = "bm25",
    k1: Annotated[float, typer.Option(help="BM25 k1 (bm25 and hybrid)")] = 1.2,
    b: Annotated[float, typer.Option(help="BM25 b (bm25 and hybrid)")] = 0.75,
    corpus: Annotated[
        Path | None, typer.Option(help="your documents: a markdown/text folder or a .jsonl file")
    ] = None,
) -> None:
    """Chunk the corpus (default: the dataset's), build an index, save it to RAG_INDEX_DIR."""
    from .chunking import ChunkerSpec
    from .jobs import build_index
    from .retrieval.system import RetrieverSpec

    current = settings()
    chunker = ChunkerSpec.model_validate(
        {"strategy": strategy, "size": size, "overlap": overlap, "unit": unit}
    )
    spec = RetrieverSpec.model_validate(
        {"kind": retriever, "backend": current.vector_backend, "k1": k1, "b": b}
    )
    system = build_index(current, chunker, spec, corpus)
    typer.echo(
        f"indexed {len(system.chunks)} chunks ({chunker.name}, {spec.name}) in {current.index_dir}"
    )


@app.command()
@friendly_errors
def search(
    query: str, k: Annotated[int, typer.Option("-k", help="passages to return")] = 5
) -> None:
    """Search the saved index and print the best passages."""
    from .jobs import load_service

    for passage in load_service(settings()).search(query, k):
        snippet = " ".join(passage.text.split())[:160]
        typer.echo(f"{passage.score:8.3f}  {passage.chunk_id}  {snippet}")


@app.command()
@friendly_errors
def ask(question: str, k: Annotated[int, typer.Option("-k", help="passages to use")] = 5) -> None:
    """Answer a question from the saved index, citing the passages used."""
    from .jobs import load_service

    answer = load_service(settings()).ask(question, k)
    typer.echo(answer.text)
    for c in answer.citations:
        typer.echo(f"  [{c.marker}] {c.title} ({c.doc_id}, characters {c.start}-{c.end})")


@app.command("evaluate-run")
@friendly_errors
def evaluate_run(
    qrels: Annotated[Path, typer.Option(help="TREC qrels file")],
    run: Annotated[Path, typer.Option(help="TREC run file")],
    metric: Annotated[list[str] | None, typer.Option(help="NAME@K, repeatable")] = None,
    gain: Annotated[str, typer.Option(help="nDCG gain: linear or exponential")] = "linear",
    complete: Annotated[
        bool,
        typer.Option(
            "--complete",
            "-c",
            help="mean over every judged query, missing ones scoring 0 (trec_eval -c); "
            "default: over the judged queries in the run (trec_eval's default)",
        ),
    ] = False,
    per_query: Annotated[
        bool, typer.Option("--per-query", "-q", help="also print every query's scores")
    ] = False,
) -> None:
    """Score a TREC run file against TREC qrels, as trec_eval does (JSON on stdout)."""
    from .jobs import evaluate_trec_files

    if gain not in ("linear", "exponential"):
        raise InputError(f"--gain {gain!r}: expected 'linear' or 'exponential'")
    metrics = metric or ["ndcg@10", "mrr@10", "recall@100", "map@100", "precision@10"]
    result = evaluate_trec_files(
        qrels,
        run,
        metrics,
        exponential_gain=gain == "exponential",
        complete=complete,
        per_query=per_query,
    )
    for warning in result["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(json.dumps(result, indent=2))


@app.command()
@friendly_errors
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Serve /search and /ask over the saved index."""
    import uvicorn

    from .api.app import create_app
    from .jobs import load_service

    uvicorn.run(create_app(load_service(settings())), host=host, port=port)


@app.command()
@friendly_errors
def bench(
    queries: Annotated[int, typer.Option(help="queries in the evaluation benchmark")] = 10_000,
) -> None:
    """Index build rate, search latency, BM25 queries/s vs bm25s, evaluation speed vs pytrec_eval
    (reports/bench.json)."""
    from .bench import run_bench

    if queries <= 0:
        raise InputError(f"--queries {queries}: expected a positive number")
    current = settings()
    result = run_bench(queries, model=current.embedding_model)
    current.reports_dir.mkdir(parents=True, exist_ok=True)
    (current.reports_dir / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    from .experiments.report import scaling_table, throughput_table

    typer.echo("\n".join(scaling_table(result["scaling"])))
    typer.echo("\n".join(throughput_table(result["bm25_throughput"])))
    for key, value in result["measures"].items():
        typer.echo(f"{key:36s} {value:,.4g}" if isinstance(value, float) else f"{key:36s} {value}")
    typer.echo(result["note"])


@app.command()
@friendly_errors
def report() -> None:
    """Write reports/RESULTS.md and its plots from the last `eval` (and `bench`), and the
    results block of README.md (between its results markers) from the same figures."""
    from .experiments.report import write_report

    typer.echo(f"wrote {write_report(settings().reports_dir, readme=Path('README.md'))}")


def main() -> None:
    app()
