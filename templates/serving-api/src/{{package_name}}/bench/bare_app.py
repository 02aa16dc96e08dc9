"""The baseline `make bench` compares the service with: the FastAPI + scikit-learn app a user
would write first. The same model file and request body, pydantic for the body, `predict_proba`
on the fitted pipeline; no monitoring, drift, auth, request ids or logs. It lives here, in the
benchmark, not in the service: `python -m <package>.bench.bare_app` serves it under uvicorn on
SERVING_HOST:SERVING_PORT with the model in SERVING_MODEL_URI.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from threadpoolctl import threadpool_limits

from ..core.features import FEATURE_NAMES, FEATURES, CategoricalFeature


class Application(BaseModel):
    """The fields as a first version has them: plain types, no ranges, no strictness."""

    age: float
    annual_income: float
    loan_amount: float
    term_months: float
    interest_rate: float
    credit_score: float
    debt_to_income: float
    employment_years: float
    open_accounts: float
    delinquencies_2y: float
    home_ownership: str
    purpose: str


CODES = {
    f.name: {category: i for i, category in enumerate(f.categories)}
    for f in FEATURES
    if isinstance(f, CategoricalFeature)
}


def to_row(application: Application) -> list[float]:
    values = application.model_dump()
    return [CODES[name][values[name]] if name in CODES else values[name] for name in FEATURE_NAMES]


class Instances(BaseModel):
    instances: list[Application]


def create_bare_app(model_dir: Path) -> FastAPI:
    pipeline = joblib.load(model_dir / "model.joblib")
    # One BLAS thread, as in the service: on one pinned core more threads only contend (without
    # this the baseline measured about 4x slower here, which would flatter the service).
    threadpool_limits(limits=1)
    app = FastAPI()

    # async def: the model call is short, and a thread pool hop per request would only slow the
    # baseline down (it is meant to be the strong one).
    @app.post("/v1/predict")
    async def predict(body: Instances) -> dict[str, Any]:
        rows = [to_row(application) for application in body.instances]
        probabilities = pipeline.predict_proba(np.asarray(rows, dtype=np.float64))[:, 1]
        return {"predictions": [{"default_probability": float(p)} for p in probabilities]}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> None:
    app = create_bare_app(Path(os.environ.get("SERVING_MODEL_URI", "artifacts/model")))
    host, port = os.environ.get("SERVING_HOST", "127.0.0.1"), int(os.environ["SERVING_PORT"])
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
