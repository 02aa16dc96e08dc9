"""The whole pipeline on the configured source, with a summary of what each step did."""

from pydantic import BaseModel, ConfigDict

from ..files import write_json
from ..ingest.validate import IngestReport
from ..model.summary import TrainingSummary
from ..settings import Settings
from ..skew.check import SkewReport, skew_table
from ..skew.served import ServedSkewReport, served_skew_table
from . import steps


class PipelineSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    raw_rows: int
    ingest: IngestReport
    snapshot_rows: int
    training: steps.TrainingSetSummary
    model: TrainingSummary
    online_rows: int
    parity: SkewReport
    replayed_requests: int
    skew: ServedSkewReport
    seconds: dict[str, float]


def run_pipeline(settings: Settings) -> PipelineSummary:
    """Run every step; the check reports are returned (and written) whether they passed or not.

    The synthetic source is generated unless settings.events_csv names a CSV of your own.
    """
    seconds: dict[str, float] = {}
    if settings.events_csv is None:
        generated = steps.timed(lambda: steps.generate(settings))
        seconds["generate"] = generated.seconds
    ingested = steps.timed(lambda: steps.ingest(settings))
    snapshots = steps.timed(lambda: steps.compute_features(settings))
    training = steps.timed(lambda: steps.training_set(settings))
    model = steps.timed(lambda: steps.train(settings))
    online = steps.timed(lambda: steps.materialize_online(settings))
    parity = steps.timed(lambda: steps.parity_check(settings))
    replayed = steps.timed(lambda: steps.replay_traffic(settings, settings.replay_requests))
    skew = steps.timed(lambda: steps.skew_check(settings))
    for name, step in (
        ("ingest", ingested),
        ("features", snapshots),
        ("training_set", training),
        ("train", model),
        ("materialize", online),
        ("parity_check", parity),
        ("replay_traffic", replayed),
        ("skew_check", skew),
    ):
        seconds[name] = step.seconds
    summary = PipelineSummary(
        raw_rows=ingested.value.rows_read,
        ingest=ingested.value,
        snapshot_rows=snapshots.value,
        training=training.value,
        model=model.value,
        online_rows=online.value,
        parity=parity.value,
        replayed_requests=replayed.value,
        skew=skew.value,
        seconds=seconds,
    )
    write_json(settings.reports_dir / "pipeline.json", summary.model_dump(mode="json"))
    return summary


def format_summary(summary: PipelineSummary, settings: Settings) -> str:
    ingest, training, holdout = summary.ingest, summary.training, summary.model.holdout
    return "\n".join(
        [
            f"ingest: {ingest.rows_read} rows, {ingest.rows_valid} valid, "
            f"{ingest.rows_rejected} rejected (see {settings.rejected_events_path})",
            f"features: {summary.snapshot_rows} daily snapshots",
            f"training set: {training.rows} rows, {training.positive_rate:.1%} positive, "
            f"{training.without_history} without history",
            f"model: holdout ROC AUC {holdout.roc_auc:.3f}, average precision "
            f"{holdout.average_precision:.3f}, Brier {holdout.brier:.4f} (constant "
            f"{holdout.baseline_brier:.4f}) on {holdout.rows} later labels",
            f"online store: {summary.online_rows} users",
            skew_table(summary.parity),
            f"replayed {summary.replayed_requests} requests through the serving path",
            served_skew_table(summary.skew),
            f"pipeline took {sum(summary.seconds.values()):.1f} s "
            f"({settings.reports_dir / 'pipeline.json'})",
        ]
    )
