"""Commands that share a machine: workers end with their command (even after ``kill -9``), and
a second command cannot write a folder another is writing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parents[1]
# A command whose two joblib workers write their pid, then sleep (as a long run would).
COMMAND = """
import os, sys, time
from pathlib import Path
from sim.studies.runner import Runner, run_tasks

def slow(i, folder):
    (Path(folder) / f"{os.getpid()}.pid").write_text("")
    time.sleep(120)
    (Path(folder) / f"done_{i}").write_text("")

list(run_tasks(Runner("local", 2), slow, [(i, sys.argv[1]) for i in range(2)], [1, 1], "t",
               bar=False))
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is gone too
        return f.read().split(")")[-1].split()[0] != "Z"


def test_workers_end_when_the_command_is_killed(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", COMMAND, str(tmp_path)], cwd=ROOT)
    try:
        deadline = time.time() + 120
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.time() < deadline:
            time.sleep(0.2)
        workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
        assert len(workers) == 2 and all(map(alive, workers))
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.time() + 15  # each worker checks its parent once a second
    while any(map(alive, workers)) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(map(alive, workers)), "workers outlived the killed command"
    assert not list(tmp_path.glob("done_*"))  # and wrote nothing more


def test_a_second_command_cannot_write_a_folder_in_use(tmp_path):
    """While one comparison holds its folder, another into it stops with one line."""
    from sim.core.io import folder_lock

    out = tmp_path / "analysis" / "comparisons" / "shock_stress"
    with folder_lock(out):
        before = sorted(p.name for p in out.iterdir())
        cmd = [sys.executable, "-m", "experiments.compare", "experiment=shock_stress",
               f"output_root={tmp_path}", f"hydra.run.dir={out}", "scale=0.005", "months=2",
               "experiment.seeds=1"]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        assert proc.returncode == 1, proc.stderr[-1500:]
        last = proc.stderr.strip().splitlines()[-1]
        assert "another command is writing this folder (pid " in last, proc.stderr[-1500:]
        assert sorted(p.name for p in out.iterdir()) == before
    # freed with its holder: the same folder can be held again at once
    with folder_lock(out):
        pass
