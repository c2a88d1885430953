"""Thousands of runs of one config under sampled factor values: batched, streamed, resumable.

Sensitivity analysis and scenario discovery (``experiments.sensitivity``,
``experiments.discover``) run one base config many times, each point of a sample changing a
few keys (:mod:`sim.studies.uncertainty`), each point on the same seeds (common random numbers). What
makes that cheap without changing a single result:

- the config is composed by Hydra once; a point is a changed copy of the plain dict;
- runs go to joblib's workers in chunks (``chunk`` points each), and a worker keeps the
  districts it built: runs whose population, burn-in policy and seed agree share one built
  district (copied, never changed in place), since most factors touch shocks and policy only;
- within a chunk, a point that differs from an earlier one only in the large-scale rule is
  judged again rather than simulated again (:func:`run_point`);
- each finished chunk is one Parquet file, written atomically with a key (base config, the
  chunk's points, seeds, model code) in its metadata: started again, the command reuses every
  chunk whose key matches and runs the rest; a killed chunk leaves nothing behind.

``part``/``parts`` split the chunks between jobs (e.g. Hydra launcher jobs on a cluster, all
writing into the same folder); a later run without ``parts`` finds every chunk done.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.core.io import atomic_write
from sim.core.params import parse
from sim.engine.households import Households
from sim.engine.metrics import LargeScale, large_scale_events
from sim.engine.population import AFTER_BASE_YEAR, build
from sim.engine.schema import check
from sim.studies.compare import config_hash, summary_row
from sim.studies.run import code_version, simulate
from sim.studies.runner import Runner, run_tasks
from sim.studies.uncertainty import UncertaintySet, apply

KEY = b"relapse_sim_chunk_key"
KEEP_DISTRICTS = 2  # built districts a worker keeps at least (a register: 73 bytes a
# household, 14 MB); a chunk on many seeds keeps one per seed (a search's trial), since keeping
# fewer than the seeds it cycles through would rebuild every one
_districts: OrderedDict[str, Households] = OrderedDict()  # per worker process


def district_key(cfg: dict) -> str:
    """What a built district depends on: population (but growth), burn-in policy, seed."""
    pop = cfg["population"]
    economy = {k: v for k, v in pop["economy"].items() if k not in AFTER_BASE_YEAR}
    pop = pop | {"economy": economy}
    return config_hash({"population": pop, "burn_in_policy": cfg["burn_in_policy"],
                        "seed": cfg["seed"]})  # fmt: skip


def district(cfg: dict, keep: int = KEEP_DISTRICTS) -> Households:
    """A fresh copy of the district ``cfg`` builds, from this worker's store when it has it.

    ``keep``: districts the store holds (the least recently used goes first).
    """
    key = district_key(cfg)
    if key not in _districts:
        run = check(cfg)
        _districts[key] = build(run.population, run.seed, run.burn_in_policy)
        while len(_districts) > keep:
            _districts.popitem(last=False)
    _districts.move_to_end(key)
    return _districts[key].copy()


def run_point(
    cfg: dict, judged: dict[str, tuple] | None = None, keep: int = KEEP_DISTRICTS
) -> dict[str, Any]:
    """One run's summary row (:func:`sim.studies.compare.summary_row`), on a shared district.

    ``judged``: runs of this chunk so far, by their config without the large-scale rule. A
    point that differs from one of them only in the rule (``outcomes.large_scale``, which is
    applied after the run) takes its row and is judged again, not simulated again: Sobol's and
    Morris's samples move one factor at a time, so each rule factor would cost a run a step.
    ``keep``: built districts this worker keeps (:func:`district`).
    """
    outcomes = dict(cfg["outcomes"])
    rule = outcomes.pop("large_scale")
    key = config_hash(cfg | {"outcomes": outcomes})
    if judged is not None and key in judged:
        row, counts, pa_by_town, years = judged[key]
        events = large_scale_events(counts, pa_by_town, parse(LargeScale, rule, "rule"), years)
        return row | {"large_scale": bool(events) if row["large_scale"] is not None else None}
    res = simulate(cfg, households=district(cfg, keep))
    row = summary_row(res.summary)
    if judged is not None:
        o = res.model.outcomes
        judged[key] = (row, o.new_by_town_year.copy(), o.pa_by_town.copy(), list(o.years))
    return row


def _run_chunk(
    base: dict, uset: UncertaintySet, names: list[str], rows: list[tuple[int, np.ndarray]],
    seeds: list[int], path: Path, key: str,
) -> int:  # fmt: skip
    """Run every (point, seed) of a chunk and write its table to ``path``."""
    out, judged = [], {}
    for point, row in rows:
        values = uset.values(names, row)
        cfg = apply(base, uset, values)
        for seed in seeds:
            run = run_point(cfg | {"seed": seed}, judged, max(KEEP_DISTRICTS, len(seeds)))
            out.append({"point": point, "seed": seed} | values | run)
    table = pa.Table.from_pandas(pd.DataFrame(out), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), KEY: key.encode()})
    atomic_write(path, lambda p: pq.write_table(table, p))
    return len(out)


def stored_key(path: Path) -> str | None:
    """The key a chunk file was written with, or None (missing or unreadable)."""
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowInvalid):
        return None
    return meta.get(KEY, b"").decode() or None


def run_sample(
    base: dict, uset: UncertaintySet, names: list[str], points: np.ndarray, seeds: list[int],
    folder: Path, *, n_jobs: int = 1, chunk: int = 8, part: int = 0, parts: int = 1,
    desc: str = "runs", numbers: list[int] | None = None, runner: Runner | None = None,
) -> pd.DataFrame | None:  # fmt: skip
    """Run ``points`` (rows of factor values for ``names``) on ``seeds``; their rows, in order.

    ``base``: the plain, checked config every point changes (``chart`` off). Returns None
    when ``parts`` > 1: this job's chunks are written, the table is read by a later run.
    ``numbers``: each point's number (its ``point`` column; default 0, 1, ...), for samples
    that grow batch by batch (:mod:`sim.studies.search`); a chunk's file is numbered by its
    first point's number // ``chunk``.
    ``runner``: where the chunks run (:mod:`sim.studies.runner`; default: ``n_jobs`` local cores).
    """
    folder.mkdir(parents=True, exist_ok=True)
    code = code_version()
    base = base | {"chart": False}
    factors = {n: repr(uset.factors[n]) for n in names}
    numbers = list(range(len(points))) if numbers is None else list(numbers)
    if len(numbers) != len(points):
        raise ValueError(f"{len(numbers)} numbers for {len(points)} points")
    paths, todo = [], []
    for c, start in enumerate(range(0, len(points), chunk)):
        path = folder / f"chunk_{numbers[start] // chunk:05d}.parquet"
        paths.append(path)
        rows = [(numbers[start + i], points[start + i])
                for i in range(min(chunk, len(points) - start))]  # fmt: skip
        key = config_hash({"base": base, "factors": factors, "seeds": list(seeds), "code": code,
                           "points": [[int(p), *map(float, r)] for p, r in rows]})  # fmt: skip
        if c % parts == part and stored_key(path) != key:
            todo.append((rows, path, key))
            for stale in folder.glob(f".{path.name}.*.tmp"):  # a killed write of this chunk;
                stale.unlink(missing_ok=True)  # only this job writes it (other parts: others)
    tasks = [(base, uset, names, rows, seeds, path, key) for rows, path, key in todo]
    sizes = [len(rows) * len(seeds) for rows, _, _ in todo]
    for _ in run_tasks(runner or Runner("local", n_jobs), _run_chunk, tasks, sizes, desc):
        pass
    if parts > 1:
        return None
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
