"""Runs through SLURM (sim.studies.runner, runner=slurm; Hydra's hydra/launcher=cluster) equal local runs.

The live tests need a SLURM cluster that answers ``sinfo``: ``.ci/run`` starts a single-node
one on this machine (``scripts/slurm-local start``) and sets ``RELAPSE_REQUIRE_SLURM=1``, which
makes a missing cluster a failure; elsewhere they are skipped. The rest runs everywhere.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.config.compose import compose, plain
from sim.core.errors import ConfigError
from sim.studies.compare import settings as compare_settings
from sim.studies.runner import of, watch_with_squeue

ROOT = Path(__file__).parents[1]
SMALL = [
    "experiment=shock_stress",
    "~experiment.cross.price_crash",
    "~experiment.cross.lockdown",
    "scale=0.005",
    "months=3",
    "experiment.seeds=2",
    "n_jobs=2",
]  # 2 mixes x 2 shocks x 2 seeds
SLURM = ["runner=slurm", "slurm.runs_per_job=3", "slurm.poll_s=1"]
SWEEP = ["population.scale=0.005", "months=3", "burn_in=1", "chart=false", "seed=1,2"]


def cluster_or_skip() -> None:
    if shutil.which("sinfo"):
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
        if out.returncode == 0 and re.search(r"idle|mix|alloc", out.stdout):
            return
    if os.environ.get("RELAPSE_REQUIRE_SLURM") == "1":
        pytest.fail("no SLURM cluster answers sinfo: scripts/slurm-local start")
    pytest.skip("no SLURM cluster (scripts/slurm-local start); CI starts one")


def command(module: str, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "sacct" not in proc.stderr + proc.stdout  # no accounting: no warning per poll
    return proc


def parsed(root: str, cfg: dict):
    """The command's parsed settings."""
    if root == "compare":
        return compare_settings(cfg)[0]
    if root == "sensitivity":
        from sim.studies.sensitivity import settings
    else:
        from sim.studies.search import settings
    return settings(cfg).pars


@pytest.mark.parametrize("root", ["compare", "sensitivity", "optimize"])
def test_every_long_command_takes_the_cluster_options(root):
    cfg = plain(compose(["runner=slurm", "slurm.partition=cpu", "slurm.runs_per_job=50",
                         "output_root=/x"], root))  # fmt: skip
    r = of(parsed(root, cfg))
    assert (r.where, r.slurm.partition, r.slurm.runs_per_job) == ("slurm", "cpu", 50)
    assert r.slurm.folder == "/x/slurm"
    assert of(parsed(root, plain(compose([], root)))).where == "local"  # the default


@pytest.mark.parametrize(
    ("over", "message"),
    [(["runner=cloud"], "runner = 'cloud': use local or slurm"),
     (["runner=slurm", "slurm.mem_gb=0"], "slurm.mem_gb"),
     (["runner=slurm", "slurm.setup=module load python"], "slurm.setup")],
)  # fmt: skip
def test_a_bad_runner_is_named(over, message):
    with pytest.raises(ConfigError, match=message):
        of(compare_settings(plain(compose(over, "compare")))[0])


def test_the_squeue_watcher_reads_states_and_ends_jobs_that_left_the_queue():
    from submitit.slurm.slurm import SlurmInfoWatcher

    watch_with_squeue()
    w = SlurmInfoWatcher(delay_s=1)
    for job in ("12_0", "12_1", "12_2", "13"):
        w.register_job(job)
    assert w._make_command()[0] == "squeue"
    info = w.read_info("JOBID|STATE|NODELIST\n12_0|RUNNING|vm\n12_1|PENDING|\n")
    assert {j: i["State"] for j, i in info.items()} == {
        "12_0": "RUNNING", "12_1": "PENDING", "12_2": "COMPLETED", "13": "COMPLETED"}  # fmt: skip


@pytest.mark.slow
def test_a_comparison_through_slurm_equals_the_local_one_and_resumes(tmp_path):
    cluster_or_skip()
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    at_home = subprocess.Popen([sys.executable, "-m", "experiments.compare", *SMALL,
                                f"output_root={local}"], cwd=ROOT, stderr=subprocess.PIPE)  # fmt: skip
    proc = command("experiments.compare", *SMALL, *SLURM, f"output_root={slurm}")
    assert at_home.wait(timeout=900) == 0, at_home.stderr.read()[-3000:]
    out = Path("compare/shock_stress/scale_0.005")
    assert (slurm / out / "summary.csv").read_bytes() == (local / out / "summary.csv").read_bytes()
    for table in ("runs", "monthly", "towns"):
        pd.testing.assert_frame_equal(pd.read_parquet(slurm / out / f"{table}.parquet"),
                                      pd.read_parquet(local / out / f"{table}.parquet"))  # fmt: skip
    # 8 runs, 3 a job: one array of 3 tasks, all of them finished by the scheduler
    job = re.search(r"8 tasks in 3 SLURM array tasks, job (\d+)", proc.stderr)
    assert job, proc.stderr[-2000:]
    log = Path(os.environ.get("SLURM_LOCAL_DIR", "/tmp/relapse-slurm")) / "log" / "jobs.log"
    if log.exists():  # the single-node cluster's job-completion log (scripts/slurm-local)
        done = re.findall(r"JobId=\d+ .*?Name=shock_stress JobState=(\w+)", log.read_text())
        assert done.count("COMPLETED") >= 3
    # resumed: one run lost, the rest found; only the lost one is submitted
    next((slurm / out / "runs" / "plan_2025___flood" / "seed_2").glob("summary.json")).unlink()
    proc = command("experiments.compare", *SMALL, *SLURM, f"output_root={slurm}")
    assert "1 tasks in 1 SLURM array tasks" in proc.stderr
    info = json.loads((slurm / out / "comparison.json").read_text())
    assert (info["runs"], info["reused"]) == (8, 7)
    assert (slurm / out / "summary.csv").read_bytes() == (local / out / "summary.csv").read_bytes()


@pytest.mark.slow
def test_a_sweep_through_slurm_equals_the_local_one(tmp_path):
    cluster_or_skip()
    got = {}
    for launcher in ("basic", "cluster"):
        folder = tmp_path / launcher
        command("experiments.run", "-m", f"output_root={tmp_path}", f"hydra.sweep.dir={folder}",
                f"hydra/launcher={launcher}", *SWEEP)  # fmt: skip
        got[launcher] = {
            p.parent.name: p.read_bytes() for p in sorted(folder.glob("*/monthly.parquet"))
        }
    assert len(got["basic"]) == 2 and got["basic"] == got["cluster"]


@pytest.mark.slow
def test_a_sample_through_slurm_equals_the_local_one(tmp_path):
    """The runner of analyses and searches (sim.studies.ensemble.run_sample), chunks as array tasks."""
    import numpy as np

    from sim.studies.ensemble import run_sample
    from sim.studies.runner import runner
    from sim.studies.sensitivity import settings

    cluster_or_skip()
    cfg = plain(compose(["scale=0.005", "months=2", f"output_root={tmp_path}"], "sensitivity"))
    plan = settings(cfg)
    names = list(plan.uset.factors)[:3]
    points = np.array([[plan.uset.factors[n].range[end] for n in names] for end in (0, 1)])
    args = (plan.base, plan.uset, names, points, [1, 2])
    local = run_sample(*args, tmp_path / "local", n_jobs=2, chunk=1)
    on_slurm = runner("slurm", 2, cfg["slurm"] | {"runs_per_job": 2, "poll_s": 1})
    slurm = run_sample(*args, tmp_path / "on_slurm", chunk=1, runner=on_slurm)
    assert len(local) == 4
    pd.testing.assert_frame_equal(local, slurm)
    assert len(list((tmp_path / "slurm").glob("[0-9]*_[0-9]*"))) == 2  # an array task a chunk
