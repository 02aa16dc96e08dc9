"""All configuration as one validated object; every field can be set as SERVING_<FIELD>."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SERVING_", extra="forbid", frozen=True, protected_namespaces=()
    )

    # Where the model comes from: a local artifact folder, or models:/name@alias (MLflow).
    model_uri: str = "artifacts/model"
    # A second version beside it: an A/B candidate that takes candidate_weight of the traffic,
    # or a shadow that scores a copy of the primary's traffic off the response path.
    candidate_model_uri: str | None = None
    candidate_role: Literal["ab", "shadow"] = "ab"
    candidate_weight: float = Field(default=0.0, ge=0.0, le=1.0)
    # A/B assignment hashes this header's value (a user id), so a user keeps their version;
    # requests without it are assigned by their request id.
    assignment_header: str = "x-user-id"
    # Shadow requests waiting to be scored; when full, more are dropped and counted.
    shadow_queue_size: int = Field(default=1000, ge=1)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Serve /metrics on its own port (not exposed publicly) instead of the API port.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    monitoring: bool = True
    batching: bool = False
    batch_max_rows: int = Field(default=64, ge=1, le=4096)
    batch_max_wait_ms: float = Field(default=2.0, ge=0.0, le=1000.0)
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    drift_window_rows: int = Field(default=5000, ge=10)
    auth: bool = False
    # API keys: comma-separated in the environment, or one per line in a mounted secret file.
    api_keys: SecretStr | None = None
    api_keys_file: Path | None = None
    access_log: bool = True
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # After SIGTERM: keep serving this long with readiness 503 (load balancers stop routing
    # here), then stop accepting and let in-flight requests finish within graceful_shutdown_s.
    drain_delay_s: float = Field(default=1.0, ge=0.0, le=300.0)
    graceful_shutdown_s: float = Field(default=20.0, gt=0)
    # Threads for BLAS/OpenMP inside the model call; scale with processes (replicas) instead.
    inference_threads: int = Field(default=1, ge=1, le=64)
    # auto: ONNX Runtime where the artifact has an ONNX export (faster here: reports/RESULTS.md),
    # scikit-learn otherwise; onnx or sklearn to force one.
    inference_backend: Literal["auto", "onnx", "sklearn"] = "auto"

    @model_validator(mode="after")
    def _auth_needs_a_key_source(self) -> Settings:
        if self.auth and self.api_keys is None and self.api_keys_file is None:
            raise ValueError("auth is on but neither SERVING_API_KEYS nor SERVING_API_KEYS_FILE")
        return self

    @model_validator(mode="after")
    def _candidate_needs_a_model(self) -> Settings:
        if self.candidate_model_uri is None and self.candidate_weight > 0:
            raise ValueError("candidate_weight is set but SERVING_CANDIDATE_MODEL_URI is not")
        if self.candidate_role == "shadow" and self.candidate_weight > 0:
            raise ValueError("a shadow takes no traffic: set candidate_weight to 0 or role to ab")
        return self

    def load_api_keys(self) -> tuple[str, ...]:
        """The configured keys, read when the app starts: rotate by updating the secret and
        rolling the pods (no image rebuild)."""
        keys: list[str] = []
        if self.api_keys is not None:
            keys += self.api_keys.get_secret_value().split(",")
        if self.api_keys_file is not None:
            keys += self.api_keys_file.read_text().splitlines()
        found = tuple(k.strip() for k in keys if k.strip())
        if self.auth and not found:
            source = "SERVING_API_KEYS" if self.api_keys is not None else "SERVING_API_KEYS_FILE"
            if self.api_keys is not None and self.api_keys_file is not None:
                source = "SERVING_API_KEYS and SERVING_API_KEYS_FILE"
            raise ValueError(f"auth is on but {source} holds no key (only empty entries)")
        return found
