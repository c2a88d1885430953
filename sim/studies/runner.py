"""Where the runs of a long command go: local cores (joblib) or a SLURM cluster (submitit).

Comparisons, analyses and searches hand their tasks (a run, or a chunk of runs) to
:func:`run_tasks`; ``runner=local`` (the default) runs them on ``n_jobs`` local cores,
``runner=slurm`` submits them as a SLURM job array through submitit, the engine of Hydra's
submitit plugin, with ``slurm.runs_per_job`` runs batched into each array task so that
seconds-long runs do not each wait in the queue. Every task writes its own files and returns
a small row, so results are the same byte for byte wherever they ran, and a command started
again reruns only what is missing, on either runner.

Progress shows runs done and, on SLURM, array tasks queued, running and done, read with
``squeue`` (and a finished task by its result file): never ``sacct``, which needs the
accounting database that many clusters, and a test cluster, do not run.

Example:
    >>> r = Runner("local", 2)
    >>> sorted(run_tasks(r, divmod, [(7, 2), (9, 4)], [1, 1], "example", bar=False))
    [(2, 1), (3, 1)]
"""

from __future__ import annotations

import functools
import getpass
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

from sim.core.errors import ConfigError
from sim.core.params import between, one_of, parse, pos

GRACE_POLLS = 3  # polls a task may be missing from squeue without a result before it failed
START_MIN = 5  # minutes a job gets on top of its runs: start-up, imports, loading the model


@dataclass(frozen=True, kw_only=True)
class SlurmPars:
    """SLURM options (``scenarios/slurm/``); times and memory for one array task."""

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    time_min_per_run: float = pos()
    mem_gb: float = pos()
    cpus_per_task: int = between(1, 1024)
    runs_per_job: int = between(1, 1_000_000)
    array_parallelism: int = between(1, 1_000_000)
    setup: list[str]
    folder: str
    poll_s: float = pos()


@dataclass(frozen=True)
class Runner:
    """Where tasks run: ``local`` on ``n_jobs`` cores, or ``slurm`` with its options."""

    where: str
    n_jobs: int = 1
    slurm: SlurmPars | None = None


def runner(where: str, n_jobs: int, slurm: dict | None) -> Runner:
    """A checked runner from a command's settings (``runner``, ``n_jobs``, ``slurm``)."""
    if where not in ("local", "slurm"):
        raise ConfigError(f"runner = {where!r}: use local or slurm")
    if where == "local":
        return Runner("local", n_jobs)
    if not isinstance(slurm, dict):
        raise ConfigError(
            "slurm: missing; runner=slurm needs the cluster's options (slurm=default)"
        )
    pars = parse(SlurmPars, slurm, "slurm")
    if isinstance(pars.setup, str) or not all(isinstance(s, str) for s in pars.setup):
        raise ConfigError(f"slurm.setup = {pars.setup!r}: a list of shell lines")
    return Runner("slurm", n_jobs, pars)


RUNNER = one_of("local", "slurm", default="local")  # the ``runner`` field of a command's settings


@functools.cache
def no_cluster() -> str | None:
    """Why no SLURM cluster answers on this machine (None if one does): ``sinfo`` is asked."""
    if shutil.which("sinfo") is None:
        return "SLURM's commands are not installed here (no sinfo)"
    try:
        proc = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True,
                              timeout=20)  # fmt: skip
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 20 s"
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return f"sinfo: {lines[0] if lines else f'exit status {proc.returncode}'}"
    return None


def of(pars: Any) -> Runner:
    """The runner of a command's parsed settings (fields ``runner``, ``n_jobs``, ``slurm``)."""
    return runner(pars.runner, pars.n_jobs, pars.slurm)


def batches(sizes: Sequence[int], runs_per_job: int) -> list[list[int]]:
    """Task indices grouped, in order, into jobs of at least ``runs_per_job`` runs.

    The last job may have fewer.

    Example:
        >>> batches([1, 1, 1, 1, 1], 2)
        [[0, 1], [2, 3], [4]]
        >>> batches([10, 10, 3], 4)
        [[0], [1], [2]]
    """
    out, current, runs = [], [], 0
    for i, n in enumerate(sizes):
        current.append(i)
        runs += n
        if runs >= runs_per_job:
            out.append(current)
            current, runs = [], 0
    return out + ([current] if current else [])


def _call_all(fn: Callable, tasks: list[tuple]) -> list[Any]:
    """One array task: every task of its batch, in turn."""
    return [fn(*t) for t in tasks]


def progress(iterable: Iterable, total: int, desc: str):
    """Runs done of total, elapsed and ETA (tqdm on a terminal; plain lines otherwise)."""
    from tqdm import tqdm

    interval = 0.5 if sys.stderr.isatty() else 10.0
    return tqdm(iterable, total=total, desc=desc, unit="run", mininterval=interval, file=sys.stderr)


def run_tasks(
    r: Runner, fn: Callable, tasks: Sequence[tuple], sizes: Sequence[int], desc: str,
    report: Callable[[int, int], None] | None = None, bar: bool = True,
) -> Iterator[Any]:  # fmt: skip
    """``fn(*task)`` for every task, results as they finish (in no set order).

    ``sizes``: runs in each task (for progress and batching); ``report(done, total)`` is
    called with runs done as tasks finish.
    """
    total = sum(sizes)
    shown = progress(None, total, desc) if bar else None
    done = 0
    results = (
        _local(r, fn, tasks, sizes)
        if r.where == "local"
        else _slurm(r, fn, tasks, sizes, desc, shown)
    )
    try:
        for result, n in results:
            done += n
            if shown is not None:
                shown.update(n)
            if report is not None:
                report(done, total)
            yield result
    finally:
        if shown is not None:
            shown.close()


_WATCHING: list[int] = []  # the parent a worker process watches (set once, by end_with_parent)


def end_with_parent(poll_s: float = 1.0) -> None:
    """In a worker process: exit as soon as the process that started it is gone.

    joblib's loky workers (ours and Hydra's joblib launcher's) finish their task and stay for
    minutes when the command is killed (``kill -9`` leaves them no word), writing runs nobody
    collects. A daemon thread checks once a ``poll_s`` whether the worker was handed to
    another parent and ends the process. In a command's own process nothing is watched.
    """
    if multiprocessing.parent_process() is None or _WATCHING:
        return
    parent = os.getppid()
    _WATCHING.append(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _sized(fn: Callable, task: tuple, n: int) -> tuple[Any, int]:
    end_with_parent()
    return fn(*task), n


def _local(r: Runner, fn, tasks, sizes) -> Iterator[tuple[Any, int]]:
    parallel = Parallel(n_jobs=r.n_jobs, return_as="generator_unordered")
    yield from parallel(delayed(_sized)(fn, t, n) for t, n in zip(tasks, sizes, strict=True))


def _slurm(r: Runner, fn, tasks, sizes, desc: str, shown) -> Iterator[tuple[Any, int]]:
    import submitit

    watch_with_squeue()  # job.result() below must not ask sacct

    s = r.slurm
    groups = batches(sizes, s.runs_per_job)
    if not groups:
        return
    most = max(sum(sizes[i] for i in g) for g in groups)
    executor = submitit.SlurmExecutor(folder=Path(s.folder) / "%j")
    executor.update_parameters(
        job_name=desc[:60] or "relapse-sim", time=math.ceil(s.time_min_per_run * most) + START_MIN,
        mem=f"{s.mem_gb:g}GB", cpus_per_task=s.cpus_per_task, array_parallelism=s.array_parallelism,
        setup=list(s.setup), **{k: v for k, v in (("partition", s.partition),
                                                   ("account", s.account), ("qos", s.qos)) if v},
    )  # fmt: skip
    jobs = executor.map_array(
        _call_all, [fn] * len(groups), [[tasks[i] for i in g] for g in groups]
    )
    print(f"{desc}: {len(tasks)} tasks in {len(jobs)} SLURM array tasks, job {jobs[0].job_id.split('_')[0]}"
          f" (logs: {jobs[0].paths.folder.parent})", file=sys.stderr)  # fmt: skip
    waiting = dict(enumerate(jobs))
    missing = dict.fromkeys(waiting, 0)
    while waiting:
        states = queue_states([j.job_id for j in waiting.values()])
        for i, job in list(waiting.items()):
            if job.paths.result_pickle.exists():
                results = job.result()  # a task's own exception is raised here
                n = sum(sizes[k] for k in groups[i])
                for k, result in enumerate(results):
                    yield result, (n if k == len(results) - 1 else 0)
                del waiting[i]
            elif job.job_id not in states:
                missing[i] += 1
                if missing[i] > GRACE_POLLS:
                    raise RuntimeError(
                        f"SLURM task {job.job_id} ended without a result (killed, out of time "
                        f"or memory?); its log: {job.paths.stderr}\n{_tail(job.paths.stderr)}"
                    )
            else:
                missing[i] = 0
        if shown is not None:
            queued = sum(1 for j in waiting.values() if states.get(j.job_id) == "PENDING")
            shown.set_postfix(queued=queued, running=len(waiting) - queued,
                              done=len(jobs) - len(waiting), refresh=False)  # fmt: skip
        if waiting:
            time.sleep(s.poll_s)


def watch_with_squeue() -> None:
    """Make submitit read job states with ``squeue`` instead of ``sacct``.

    submitit asks ``sacct`` while it waits for a job; without an accounting database (a test
    cluster, many small ones) every poll fails with a warning. This watcher lists the user's
    jobs still queued or running; a job no longer listed has ended, and its result file (or
    its absence, a clear error) says how. Hydra's submitit launcher (``hydra/launcher=cluster``)
    uses the same watcher: an entry point given a submitit launcher calls this first
    (:func:`sim.studies.cli.main`).
    """
    try:
        from submitit.slurm import slurm
    except ImportError:  # submitit comes with hydra-submitit-launcher; nothing to patch
        return
    watcher = slurm.SlurmInfoWatcher
    if getattr(watcher, "relapse_squeue", False):
        return
    read_sacct = watcher.read_info

    def make_command(self) -> list[str] | None:
        if not self._registered - self._finished:
            return None
        return ["squeue", "-r", "-o", "%i|%T|%N", "-u", getpass.getuser()]

    def read_info(self, string: bytes | str) -> dict[str, dict[str, str]]:
        text = string.decode() if isinstance(string, bytes) else string
        lines = text.splitlines()
        if lines and lines[0].startswith("JOBID"):
            lines[0] = "JobID|State|NodeList"  # sacct's names for the same columns
        info = read_sacct(self, "\n".join(lines))
        for job in self._registered - self._finished - set(info):
            info[job] = {"JobID": job, "State": "COMPLETED", "NodeList": ""}  # left the queue
        return info

    watcher._make_command = make_command
    watcher.read_info = read_info
    watcher.relapse_squeue = True


def queue_states(job_ids: list[str]) -> dict[str, str]:
    """``squeue``'s state of each listed job or array task still in the queue."""
    if not job_ids:
        return {}
    arrays = sorted({j.split("_")[0] for j in job_ids})
    out = subprocess.run(
        ["squeue", "-h", "-r", "-o", "%i %T", "-j", ",".join(arrays)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0 and "Invalid job id" not in out.stderr:
        raise RuntimeError(f"squeue failed: {out.stderr.strip()}")
    return dict(line.split()[:2] for line in out.stdout.splitlines() if line.strip())


def _tail(path: Path, n: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"
