"""Sweeps through Hydra's launchers: same results whatever the launcher; resume; collect."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
SWEEP = ["population.scale=0.01", "months=4", "burn_in=1", "chart=false", "seed=1,2"]


def sweep(folder: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "experiments.run",
        "-m",
        f"output_root={folder.parent}",
        f"hydra.sweep.dir={folder}",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in sorted(folder.glob("*/monthly.parquet"))}


@pytest.mark.slow
def test_every_launcher_gives_identical_results(tmp_path):
    got = {}
    for launcher in ("basic", "local", "submitit_local"):
        sweep(tmp_path / launcher, f"hydra/launcher={launcher}", *SWEEP)
        got[launcher] = outputs(tmp_path / launcher)
    assert len(got["basic"]) == 2
    assert got["basic"] == got["local"] == got["submitit_local"]


def test_a_sweep_resumes_and_collects_partially(tmp_path):
    folder = tmp_path / "grid"
    grid = [*SWEEP[:-1], "seed=1", "shocks=default,flood", "policy.dibao.take_up.general=0.5,1.0"]
    sweep(folder, *grid)
    runs = sorted(folder.glob("*/summary.json"))
    assert len(runs) == 4
    runs[0].unlink()  # a run killed while writing: no summary, a half-written temporary file
    (runs[0].parent / ".monthly.parquet.1234.tmp").write_bytes(b"PAR1")
    proc = sweep(folder, *grid)
    assert proc.stdout.count("already done, skipped") == 3
    assert len(list(folder.glob("*/summary.json"))) == 4
    assert not list(folder.rglob("*.tmp"))

    runs[1].unlink()  # collect a partial sweep
    cmd = [sys.executable, "-m", "experiments.collect", str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "3 runs collected, 1 incomplete" in proc.stdout
    table = pd.read_csv(folder / "collected.csv")
    assert len(table) == 3 and set(table["shocks"]) == {"default", "flood"}
    assert (folder / "charts" / "heatmap_relapsed.png").exists()  # shocks x take-up
    assert (folder / "charts" / "sweep_relapsed.png").exists()


def test_collect_names_a_bad_folder(tmp_path):
    cmd = [sys.executable, "-m", "experiments.collect", str(tmp_path / "nope")]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert (
        proc.returncode != 0 and "no such folder" in proc.stderr and "Traceback" not in proc.stderr
    )
