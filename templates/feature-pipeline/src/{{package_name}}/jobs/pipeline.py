"""The whole pipeline on the configured source, with a summary of what each step did."""

from pydantic import BaseModel, ConfigDict

from ..ingest.validate import IngestReport
from ..settings import Settings
from ..skew.check import SkewReport, skew_table
from . import steps


class PipelineSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    raw_rows: int
    ingest: IngestReport
    snapshot_rows: int
    training: steps.TrainingSetSummary
    online_rows: int
    skew: SkewReport
    seconds: dict[str, float]


def run_pipeline(settings: Settings) -> PipelineSummary:
    """Run every step; the skew report is returned (and written) whether it passed or not.

    The synthetic source is generated unless settings.events_csv names a CSV of your own.
    """
    seconds: dict[str, float] = {}
    if settings.events_csv is None:
        generated = steps.timed(lambda: steps.generate(settings))
        seconds["generate"] = generated.seconds
    ingested = steps.timed(lambda: steps.ingest(settings))
    snapshots = steps.timed(lambda: steps.compute_features(settings))
    training = steps.timed(lambda: steps.training_set(settings))
    online = steps.timed(lambda: steps.materialize_online(settings))
    skew = steps.timed(lambda: steps.skew_check(settings))
    for name, step in (
        ("ingest", ingested),
        ("features", snapshots),
        ("training_set", training),
        ("materialize", online),
        ("skew_check", skew),
    ):
        seconds[name] = step.seconds
    summary = PipelineSummary(
        raw_rows=ingested.value.rows_read,
        ingest=ingested.value,
        snapshot_rows=snapshots.value,
        training=training.value,
        online_rows=online.value,
        skew=skew.value,
        seconds=seconds,
    )
    steps.write_json(settings.reports_dir / "pipeline.json", summary.model_dump(mode="json"))
    return summary


def format_summary(summary: PipelineSummary, settings: Settings) -> str:
    ingest, training = summary.ingest, summary.training
    return "\n".join(
        [
            f"ingest: {ingest.rows_read} rows, {ingest.rows_valid} valid, "
            f"{ingest.rows_rejected} rejected (see {settings.rejected_events_path})",
            f"features: {summary.snapshot_rows} daily snapshots",
            f"training set: {training.rows} rows, {training.positive_rate:.1%} positive, "
            f"{training.without_history} without history",
            f"online store: {summary.online_rows} users",
            skew_table(summary.skew),
            f"pipeline took {sum(summary.seconds.values()):.1f} s "
            f"({settings.reports_dir / 'pipeline.json'})",
        ]
    )
