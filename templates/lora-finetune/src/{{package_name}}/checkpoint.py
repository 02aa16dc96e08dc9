"""A run folder and its resumable checkpoints: what a run is, and how it continues after a stop.

    runs/NAME/config.yaml                  the settings the run started with
    runs/NAME/metrics.jsonl                one line per logged step or evaluation
    runs/NAME/checkpoints/step-000100/     adapter/, optimizer.pt, scheduler.pt, rng-<rank>.pt,
                                           state.json (step, losses so far, metrics lines)
    runs/NAME/adapter/                     the final adapter: present only once the run finished

A checkpoint is written to a temporary folder and renamed into place, so a kill mid-save leaves
the previous checkpoint intact. Resuming restores the adapter weights, optimizer and schedule
state, every process's RNG streams and the position in the batch order, so the resumed run
computes the same losses as one that never stopped. A run folder holds exactly one run: a new
run never writes into an existing one, a resume must use the same settings, and `--overwrite`
removes the old run first.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import yaml
from accelerate import Accelerator
from peft import PeftModel, set_peft_model_state_dict
from peft.utils import load_peft_weights

from .config import TrainConfig
from .errors import ConfigError

RunStatus = Literal["new", "interrupted", "finished"]
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class LoopState:
    step: int  # optimizer steps done
    losses: list[float]  # the loss of every step so far
    metrics_lines: int  # lines of metrics.jsonl written up to this step


def run_status(run_dir: Path) -> RunStatus:
    if (run_dir / "adapter" / "adapter_config.json").is_file():
        return "finished"
    if run_dir.exists() and any(run_dir.iterdir()):
        return "interrupted"
    return "new"


def checkpoints(run_dir: Path) -> list[Path]:
    """Complete checkpoints, oldest first."""
    folder = run_dir / CHECKPOINTS
    if not folder.is_dir():
        return []
    done = [p for p in folder.glob("step-*") if (p / "state.json").is_file()]
    return sorted(done, key=lambda p: p.name)


def prepare_run_dir(
    config: TrainConfig, accelerator: Accelerator, resume: bool, overwrite: bool
) -> Path | None:
    """Check what is in the run folder against what was asked; return the checkpoint to resume.

    Every process checks; only the main process removes an old run (with `overwrite`).
    """
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other: continue or replace")
    run_dir = config.run_dir
    status = run_status(run_dir)
    latest = checkpoints(run_dir)[-1] if checkpoints(run_dir) else None
    if overwrite:
        accelerator.wait_for_everyone()
        if accelerator.is_main_process and run_dir.exists():
            shutil.rmtree(run_dir)
        accelerator.wait_for_everyone()
        return None
    if status == "finished":
        raise ConfigError(
            f"run folder {run_dir} holds a finished run; pass --overwrite to replace it "
            "(make train OVERWRITE=1) or choose a new run_name"
        )
    if status == "interrupted" and not resume:
        if latest is None:
            raise ConfigError(
                f"run folder {run_dir} holds an unfinished run that stopped before its first "
                "checkpoint; pass --overwrite to start again (make train OVERWRITE=1)"
            )
        raise ConfigError(
            f"run folder {run_dir} holds an unfinished run (last checkpoint {latest.name}); "
            "pass --resume to continue it (make resume) or --overwrite to start again"
        )
    if resume and latest is None:
        what = "does not exist" if status == "new" else "has no checkpoint to resume from"
        raise ConfigError(f"cannot resume: run folder {run_dir} {what}")
    if latest is not None:
        _check_same_settings(config, run_dir / "config.yaml")
    return latest


def write_config_snapshot(config: TrainConfig, run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    snapshot = config.model_dump(mode="json")
    (run_dir / "config.yaml").write_text(yaml.safe_dump(snapshot, sort_keys=False))


def _check_same_settings(config: TrainConfig, snapshot: Path) -> None:
    if not snapshot.is_file():
        raise ConfigError(f"cannot resume: {snapshot} is missing, so the run's settings are lost")
    saved: dict[str, Any] = yaml.safe_load(snapshot.read_text()) or {}
    current = config.model_dump(mode="json")
    changed = sorted(k for k in current.keys() | saved.keys() if current.get(k) != saved.get(k))
    if changed:
        raise ConfigError(
            f"cannot resume: settings differ from the run's {snapshot} in {', '.join(changed)}; "
            "resume with the same settings or start a new run_name"
        )


def save_checkpoint(
    run_dir: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    state: LoopState,
    accelerator: Accelerator,
    keep: int,
) -> Path:
    """Write checkpoints/step-N atomically (scratch folder, rename); keep the newest `keep`."""
    final = run_dir / CHECKPOINTS / f"step-{state.step:06d}"
    scratch = final.with_name(final.name + ".partial")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
    accelerator.wait_for_everyone()
    torch.save(_rng_state(), scratch / f"rng-{accelerator.process_index}.pt")
    if accelerator.is_main_process:
        unwrapped: PeftModel = accelerator.unwrap_model(model)
        unwrapped.save_pretrained(str(scratch / "adapter"))
        torch.save(optimizer.state_dict(), scratch / "optimizer.pt")
        torch.save(scheduler.state_dict(), scratch / "scheduler.pt")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (scratch / "state.json").write_text(json.dumps(asdict(state)) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        scratch.rename(final)
        for old in checkpoints(run_dir)[:-keep]:
            shutil.rmtree(old)
    accelerator.wait_for_everyone()
    return final


def load_checkpoint(
    checkpoint: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    accelerator: Accelerator,
) -> LoopState:
    """Put the run back where `checkpoint` left it; return the loop's position."""
    unwrapped: PeftModel = accelerator.unwrap_model(model)
    weights = load_peft_weights(str(checkpoint / "adapter"), device=str(accelerator.device))
    result = set_peft_model_state_dict(unwrapped, weights)
    if getattr(result, "unexpected_keys", None):
        raise ConfigError(f"{checkpoint}: adapter weights do not fit this model")
    optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(checkpoint / "scheduler.pt", weights_only=True))
    rng_file = checkpoint / f"rng-{accelerator.process_index}.pt"
    if not rng_file.is_file():
        raise ConfigError(
            f"{checkpoint}: no RNG state for process {accelerator.process_index}; "
            "resume with the number of processes the run used"
        )
    _set_rng_state(torch.load(rng_file, weights_only=False))
    return LoopState(**json.loads((checkpoint / "state.json").read_text()))


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
