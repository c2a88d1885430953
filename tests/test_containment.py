"""Everything under output_root: each entry point with every path-bearing key pointed outside.

For every command and every key through which Hydra or relapse-sim derives a path (the run and
sweep folders, the ``.hydra`` folder, the log file, the job name, ``~``, the search's export),
the command stops with one line and nothing appears outside, nor under output_root.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from test_bad_inputs import CHECKS as COMMANDS  # each command's config and check of a job

from sim.studies.cli import precheck

ROOT = Path(__file__).parents[1]
# (options, overrides) pointing outside; {out} is a folder outside output_root.
ESCAPES = {
    "run_dir": ([], ["hydra.run.dir={out}/run"]),
    "sweep_dir": (["-m"], ["hydra.sweep.dir={out}/sweep"]),
    "sweep_dir_single_run": ([], ["hydra.sweep.dir={out}/sweep"]),
    "output_subdir_absolute": ([], ["hydra.output_subdir={out}/hydra"]),
    "output_subdir_up": ([], ["hydra.output_subdir=../../../../x"]),
    "log_file": ([], ["hydra.job_logging.handlers.file.filename={out}/x.log"]),
    "job_name_up": ([], ["hydra.job.name=../../x"]),
    "home": ([], ["output_root='~/relapse-sim-x'"]),
}


def snapshot(*folders: Path) -> set[str]:
    return {str(p) for folder in folders for p in folder.rglob("*")}


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("command", COMMANDS)
def test_no_path_leaves_output_root(tmp_path, command, escape):
    root, out = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    out.mkdir()
    options, overrides = ESCAPES[escape]
    args = [*options, f"output_root={root}", *(o.format(out=out) for o in overrides)]
    with pytest.raises(SystemExit) as exc:
        precheck(*COMMANDS[command], args, f"experiments.{command}")
    message = str(exc.value.code)
    assert message.startswith("error: ") and "\n" not in message, message
    assert snapshot(root, out) == set()


def test_the_search_exports_nowhere_else(tmp_path):
    root, out = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    with pytest.raises(SystemExit, match="export_dir"):
        precheck(*COMMANDS["optimize"], [f"output_root={root}", f"export_dir={out}"],
                 "experiments.optimize")  # fmt: skip
    assert not out.exists() and snapshot(root) == set()


@pytest.mark.parametrize("escape", ["run_dir", "output_subdir_absolute", "log_file", "job_name_up"])
def test_the_real_command_writes_nothing_outside(tmp_path, escape):
    """The command itself (Hydra included): exit 1, one line, both folders untouched."""
    root, out = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    out.mkdir()
    options, overrides = ESCAPES[escape]
    cmd = [sys.executable, "-m", "experiments.run", *options, f"output_root={root}",
           *(o.format(out=out) for o in overrides), "months=1", "population.scale=0.005"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert snapshot(root, out) == set()
