"""The features as a Feast feature repository: the way from this pipeline to Feast.

definitions.FEATURES (the one place that says what each feature means) becomes a Feast entity
(`user`, joined on user_id) and one feature view over the snapshots the pipeline already writes
(the Parquet offline store). write_repo lays out a repository that uses Feast's local provider,
its file offline store and a SQLite online store:

    data/feast_repo/feature_store.yaml   the provider and stores
    data/feast_repo/features.py          the entity and feature view, built by this module

`feast apply` registers them and `feast materialize` loads each user's newest snapshot into
Feast's online store, which is what the pipeline's own `materialize` does. The snapshots carry
their own time (as_of), so Feast's point-in-time join is the training set's: the newest snapshot
at or before the label's time, with no TTL (the training set has none). tests/test_feast_repo.py
holds both to the pipeline's results row for row, and pins the two ways Feast's file offline store
differs: it leaves out a label with no snapshot before it (the training set keeps it, with null
features), and it returns one row for two labels of one user at the same instant.

Feast is the optional extra `feast` (`uv sync --extra feast`; `make setup` installs every extra).
"""

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64

from .definitions import FEATURES
from .errors import PipelineError
from .settings import Settings

PROJECT = "features"
ENTITY = "user"
FEATURE_VIEW = "user_features"
# Feast reads zero as "no TTL": a snapshot of any age answers, as in the training set.
NO_TTL = timedelta(0)

FEATURE_STORE_YAML = """\
# Written by the `feast` command (make feast) from the pipeline's settings; rerun it to change.
project: {project}
provider: local
registry: registry.db
offline_store:
  type: file
online_store:
  type: sqlite
  path: online_store.db
entity_key_serialization_version: 3
"""

FEATURES_PY = '''\
"""The pipeline's features for Feast: {package}/definitions.py through {package}/feast_repo.py.

Written by the `feast` command (make feast); edit definitions.py or feast_repo.py, not this.
"""

from {package}.feast_repo import user_entity, user_features_view

user = user_entity()
user_features = user_features_view("{snapshots}")
'''


def user_entity() -> Entity:
    return Entity(
        name=ENTITY,
        join_keys=["user_id"],
        value_type=ValueType.INT64,
        description="a customer; the pipeline's user_id",
    )


def user_features_view(snapshots: str) -> FeatureView:
    """Every feature in definitions.FEATURES over the snapshots (a Parquet path from the repo)."""
    source = FileSource(name="user_snapshots", path=snapshots, timestamp_field="as_of")
    return FeatureView(
        name=FEATURE_VIEW,
        entities=[user_entity()],
        ttl=NO_TTL,
        schema=[Field(name=f.name, dtype=Float64, description=f.description) for f in FEATURES],
        source=source,
        online=True,
    )


def feature_references() -> list[str]:
    """The names get_historical_features and get_online_features take, in FEATURES order."""
    return [f"{FEATURE_VIEW}:{f.name}" for f in FEATURES]


def repo_dir(settings: Settings) -> Path:
    return settings.data_dir / "feast_repo"


def write_repo(settings: Settings) -> Path:
    """Write feature_store.yaml and features.py for the settings' offline store; return the folder.

    The snapshots' path is written relative to the repository (Feast resolves it from there), so
    the data folder can move as a whole.
    """
    repo = repo_dir(settings)
    repo.mkdir(parents=True, exist_ok=True)
    snapshots = Path("..") / settings.offline_features_path.relative_to(settings.data_dir)
    package = __name__.rpartition(".")[0]
    (repo / "feature_store.yaml").write_text(FEATURE_STORE_YAML.format(project=PROJECT))
    (repo / "features.py").write_text(
        FEATURES_PY.format(package=package, snapshots=snapshots.as_posix())
    )
    return repo


def apply_and_materialize(repo: Path, since: datetime, until: datetime) -> None:
    """`feast apply`, then `feast materialize` of the snapshots from `since` to `until` (naive UTC).

    Feast's own CLI, run as a person would run it in the repository.
    """
    feast = [sys.executable, "-m", "feast.cli.cli", "--chdir", str(repo)]
    for args in (["apply"], ["materialize", since.isoformat(), until.isoformat()]):
        done = subprocess.run([*feast, *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PipelineError(f"feast {args[0]} in {repo} failed:\n{done.stderr.strip()}")
