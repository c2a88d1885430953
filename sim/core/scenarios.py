"""Where the configs live: the shipped ``scenarios/`` and the command line's own folders."""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[2] / "scenarios"
# The command line's --config-dir, set by :mod:`sim.studies.cli` for the check and for Hydra's
# run: searched before scenarios/ (hydra_plugins/relapse_sim), so a file of one's own wins.
EXTRA_CONFIG_DIRS: list[Path] = []


def group_options(group: str) -> list[str]:
    """The options of a config group: the files in ``scenarios/<group>/``."""
    folders = [d / group for d in (*EXTRA_CONFIG_DIRS, CONFIG_DIR)]
    return sorted({f.stem for folder in folders for f in folder.glob("*.yaml")})
