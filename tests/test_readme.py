"""Every example command of the README runs as written, at a small scale.

The commands are read from the README's ``sh`` blocks, in order (a sweep before the command
that collects it), and run in a scratch folder with small-scale settings appended (Hydra and
argparse take the last value of a key). Templates with ``<placeholders>`` are listed in
``TEMPLATES``: a new example cannot slip through untested.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SMALL = {
    "experiments.run": ["population.scale=0.005", "months=2", "burn_in=1"],
    "experiments.compare": ["scale=0.005", "months=2", "experiment.seeds=2", "n_jobs=1"],
    "experiments.calibrate": [
        "calibration.max_evaluations=1", "calibration.rounds=1", "calibration.seeds=1",
        "calibration.validate_seeds=1", "calibration.scale=0.005", "write_config=false",
    ],
    "experiments.validate": [
        "seeds=1", "base=['months=2','burn_in=1','population.scale=0.005']", "n_jobs=1",
    ],
    "experiments.benchmark": ["--sizes", "2000", "--repeats", "1", "--months", "2"],
    "experiments.collect": [],
    "experiments.sensitivity": [
        "scale=0.005", "months=2", "analysis.morris.r=2", "analysis.sobol.n=4", "n_jobs=1",
    ],
    "experiments.discover": [
        "scale=0.005", "months=2", "analysis.prim.n=50", "analysis.prim.outcome=relapse_rate",
        "analysis.prim.above=0", "n_jobs=1",
    ],
    "experiments.optimize": [
        "months=2", "search.trials=2", "search.batch=2", "search.seeds=[1,2]", "search.risk=0.8",
        "search.shocks=[default]", "search.holdout=[1001,1002]", "n_jobs=1", "search.screen.seeds=0",
        "export_dir=outputs/export",  # not the shipped scenarios/policy/least_cost_best.yaml
        'search.base=["policy=status_quo","burn_in=1"]',
    ],
}  # fmt: skip
TEMPLATES = {"partition=<p>"}  # needs a real SLURM partition (tests/test_slurm.py runs SLURM)


def readme_commands() -> list[str]:
    """The ``python -m experiments.*`` lines of the README's sh blocks, comments removed."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        block = block.replace("\\\n", " ")
        for line in block.splitlines():
            line = line.split(" # ")[0].strip()
            if line.startswith("python -m experiments."):
                commands.append(line)
    return commands


def test_the_readme_has_example_commands():
    commands = readme_commands()
    assert len(commands) >= 15
    assert any("policy.dibao.standard.2023=700" in c for c in commands)
    assert any("adjust=" in c for c in commands)


def lanes(commands: list[str]) -> list[list[str]]:
    """The commands in two lanes that may run at once: ``run`` and ``collect`` (which reads
    the sweeps) in one, every other module in the other; each lane keeps the README's order
    (a resumed search or a reanalysis after the run it reads)."""
    first = [c for c in commands if c.split()[2] in ("experiments.run", "experiments.collect")]
    return [first, [c for c in commands if c not in first]]


@pytest.mark.slow
def test_every_readme_command_runs(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from sim.config.compose import compose
    from sim.engine.population import district, save

    save(district(compose(["population.scale=0.005"]), 1),
         tmp_path / "my_register.csv")  # fmt: skip
    commands = [c for c in readme_commands() if not any(t in c for t in TEMPLATES)]

    def run(lane: list[str]) -> int:
        for command in lane:
            args = shlex.split(command)[2:]  # after "python -m"
            small = SMALL[args[0]]
            if "population=register" in args:  # a register runs whole (it is small here)
                small = [o for o in small if not o.startswith("population.scale=")]
            cmd = [sys.executable, "-m", *args, *small]
            proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, (command, proc.stderr[-3000:])
            assert "Traceback" not in proc.stderr, command
        return len(lane)

    shipped = {p: p.read_bytes() for p in (ROOT / "scenarios").rglob("*.yaml")}
    with ThreadPoolExecutor(2) as pool:  # two cores: the suite otherwise waits on one
        ran = sum(pool.map(run, lanes(commands)))
    assert ran == len(commands) >= 15
    changed = [str(p) for p, text in shipped.items() if p.read_bytes() != text]
    assert not changed, f"the README's commands rewrote shipped files: {changed}"
