"""`make demo`: the service end to end on the embedded model, in under a minute.

Starts the real server, scores a few applications, sends a batch of ordinary traffic and then a
batch from a poorer, riskier population, and prints what /metrics says about drift after each.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from .bench.process import ServerProcess
from .core.data import generate_loans, to_records
from .io.artifact import read_metadata

DRIFT_ALERT_PSI = 0.2  # the threshold in deploy/prometheus/alerts.yml


def _drift(base_url: str) -> dict[str, float]:
    values = {}
    for line in httpx.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith("model_feature_drift_psi{"):
            name = line.split('feature="', 1)[1].split('"', 1)[0]
            values[name] = float(line.rsplit(" ", 1)[1])
    return values


def _show_drift(title: str, psi: dict[str, float]) -> None:
    print(f"\n{title}")
    for name, value in sorted(psi.items(), key=lambda item: -item[1]):
        flag = "  <- drifted" if value > DRIFT_ALERT_PSI else ""
        print(f"  {name:<18} PSI {value:6.3f}{flag}")


def run_demo(model_uri: str) -> None:
    read_metadata(Path(model_uri))  # a clear error before starting anything
    env = {"SERVING_MODEL_URI": model_uri, "SERVING_DRIFT_WINDOW_ROWS": "2000"}
    with ServerProcess(env) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        print(f"server ready in {server.ready_s:.2f} s at {server.url}")
        info = client.get("/v1/model").json()
        print(f"model {info['version']}: held-out ROC AUC {info['metrics']['roc_auc']:.3f}")

        sample = to_records(generate_loans(3, seed=101).features)
        response = client.post("/v1/predict", json={"instances": sample})
        print(f"\nPOST /v1/predict (X-Request-ID {response.headers['x-request-id']}):")
        print(json.dumps(response.json(), indent=2))

        for population, shift in (("ordinary", 0.0), ("shifted (poorer, riskier)", 1.0)):
            records = to_records(generate_loans(2000, seed=202, shift=shift).features)
            for start in range(0, len(records), 200):
                client.post("/v1/predict", json={"instances": records[start : start + 200]})
            _show_drift(f"drift after 2000 {population} applications:", _drift(server.url))
