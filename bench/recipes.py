"""The two recipes compared, and their timed training.

``ours`` is the project's config.yml. ``default`` is the config.yml that ``rasa init`` writes, copied
from Rasa's own package: its pipeline and policies are left empty, so Rasa fills in its default
recipe (``rasa/engine/recipes/config_files/default_config.yml``: DIET and ResponseSelector, 100
epochs each; Memoization, Rule, UnexpecTED and TED policies). Both train on this project's domain and
data, each with an empty training cache, so the time is that of a training from scratch.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

import rasa

from bot.deploy.serve import ROOT

TRAIN_TIMEOUT_S = 1200


@dataclass(frozen=True)
class Recipe:
    """A model configuration under test."""

    name: str
    title: str
    config: Path


def rasa_init_config() -> Path:
    """The config.yml of Rasa's initial project (what ``rasa init`` writes)."""
    return Path(rasa.__file__).parent / "cli" / "initial_project" / "config.yml"


def recipes(work_dir: Path) -> Dict[str, Recipe]:
    """Our recipe and the default one; the default's config is copied into ``work_dir`` because
    Rasa writes the pipeline it filled in back into the file as comments."""
    work_dir.mkdir(parents=True, exist_ok=True)
    default_config = work_dir / "default-config.yml"
    shutil.copyfile(rasa_init_config(), default_config)
    return {"ours": Recipe("ours", "This project (config.yml)", ROOT / "config.yml"),
            "default": Recipe("default", "Rasa default recipe (rasa init)", default_config)}


def rasa_env(cache_dir: Path) -> Dict[str, str]:
    """Environment of the Rasa commands: quiet, no telemetry, this training cache only."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_CACHE_DIRECTORY": str(cache_dir)}


def rasa_cli() -> str:
    return str(Path(sys.executable).parent / "rasa")


def train(recipe: Recipe, out_dir: Path, log: Path) -> Dict[str, object]:
    """Train ``recipe`` from scratch into ``out_dir/<name>.tar.gz``; the model path and seconds."""
    cache = out_dir / f"cache-{recipe.name}"
    shutil.rmtree(cache, ignore_errors=True)
    started = time.monotonic()
    with open(log, "wb") as output:
        result = subprocess.run(
            [rasa_cli(), "train", "--config", str(recipe.config), "--domain", str(ROOT / "domain.yml"),
             "--data", str(ROOT / "data"), "--out", str(out_dir), "--fixed-model-name", recipe.name],
            cwd=ROOT, env=rasa_env(cache), stdout=output, stderr=subprocess.STDOUT,
            timeout=TRAIN_TIMEOUT_S)
    seconds = time.monotonic() - started
    shutil.rmtree(cache, ignore_errors=True)
    if result.returncode != 0:
        raise RuntimeError(f"training {recipe.name} failed, see {log}")
    return {"model": str(out_dir / f"{recipe.name}.tar.gz"), "train_s": round(seconds, 1)}
