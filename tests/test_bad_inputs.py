"""The catalogue of bad inputs (tests/bad_inputs/cases.yaml): one line each, nothing written.

Each case goes through exactly what the command runs before Hydra makes any folder
(``sim.studies.cli.precheck`` with the entry point's own checks; ``experiments.collect`` whole). A few
cases also run as real commands (``test_the_command_itself``) to show the exit code and stderr.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments import benchmark, calibrate, collect, compare, discover, optimize, run
from sim.studies.cli import precheck
from sim.studies.run import RUN_FILES

HERE = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text())
ROOT = Path(__file__).parents[1]
CHECKS = {
    "run": ("config", run.check_job, RUN_FILES),
    "compare": ("compare", compare.check_job, ()),
    "calibrate": ("calibrate", calibrate.check_job, ()),
    "sensitivity": ("sensitivity", discover.check_job, ()),
    "optimize": ("optimize", optimize.check_job, ()),
}


def test_the_catalogue_is_large_and_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(CASES) >= 100 and len(set(ids)) == len(ids)
    for case in CASES:
        assert set(case) <= {"id", "cmd", "args", "error", "register", "sweep", "setup"}, case
        assert case["cmd"] in (*CHECKS, "collect", "benchmark") and case["error"], case


@pytest.fixture(scope="module")
def register_df():
    from sim.config.compose import compose
    from sim.engine.population import district

    return district(compose(["population.scale=0.002"]), 1).register()


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    """A real two-run sweep, finished."""
    folder = tmp_path_factory.mktemp("sweep") / "sweep"
    cmd = [sys.executable, "-m", "experiments.run", "-m", f"output_root={folder.parent}",
           f"hydra.sweep.dir={folder}", "population.scale=0.005", "months=2", "burn_in=1",
           "chart=false", "seed=1,2"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return folder


def make_register(spec: dict, df, folder: Path) -> Path:
    """The case's register file: the small valid one, edited as ``spec`` says (README)."""
    path = folder / f"register{spec.get('suffix', '.csv')}"
    df = df.copy()
    for row, column, value in spec.get("set", []):
        df[column] = df[column].astype(object)
        df.loc[row, column] = value
    if "drop" in spec:
        df = df.drop(columns=spec["drop"])
    if "add" in spec:
        df[spec["add"]] = 1
    if "copy_row" in spec:
        src, dst = spec["copy_row"]
        df.loc[dst, "household"] = df.loc[src, "household"]
    if spec.get("village_in_wrong_town"):
        v = df.loc[0, "village"]
        other = df.index[df["village"] == v][-1] if (df["village"] == v).sum() > 1 else 1
        df.loc[other, "village"] = v
        df.loc[other, "town"] = (df.loc[0, "town"] + 1) % 25
    if "more_labour" in spec:
        df.loc[spec["more_labour"], "n_labour"] = df.loc[spec["more_labour"], "n_members"] + 1
    if "more_elderly" in spec:
        df.loc[spec["more_elderly"], "n_elderly"] = df.loc[spec["more_elderly"], "n_members"]
        df.loc[spec["more_elderly"], "n_labour"] = 1
    if "more_migrants" in spec:
        r = spec["more_migrants"]
        df.loc[r, ["n_labour", "n_migrant", "n_local"]] = [1, 1, 1]
    if spec.get("header_only"):
        df = df.iloc[:0]
    if spec.get("empty"):
        path.write_bytes(b"")
    elif "random_bytes" in spec:
        path.write_bytes(np.random.default_rng(1).bytes(spec["random_bytes"]))
    elif "text" in spec:
        path.write_text(spec["text"])
    elif path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False)
    return path


def snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input(case, tmp_path, register_df, request):
    root = tmp_path / "out"
    root.mkdir()
    setup = case.get("setup", {})
    for d in setup.get("dirs", []):
        (root / d).mkdir(parents=True)
    for f in setup.get("files", []):
        (root / f).write_text("x")
    names = {"root": root}
    if "config_dir" in setup:  # a --config-dir folder of one's own: {relative path: text}
        names["config_dir"] = tmp_path / "cd"
        for name, text in setup["config_dir"].items():
            (tmp_path / "cd" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "cd" / name).write_text(text)
    if "register" in case:
        names["register"] = make_register(case["register"], register_df, tmp_path)
    if "sweep" in case:
        sweep = shutil.copytree(request.getfixturevalue("finished_sweep"), root / "sweep")
        run_dir = sorted(p.parent for p in sweep.glob("*/summary.json"))[0]
        if "summary" in case["sweep"]:
            (run_dir / "summary.json").write_text(case["sweep"]["summary"])
        if "summary_edit" in case["sweep"]:  # a value of the real summary replaced
            summary = json.loads((run_dir / "summary.json").read_text())
            (run_dir / "summary.json").write_text(
                json.dumps(summary | case["sweep"]["summary_edit"])
            )
        for d in case["sweep"].get("dirs", []):
            (sweep / d).mkdir()
        if "overrides" in case["sweep"]:
            (run_dir / ".hydra" / "overrides.yaml").write_text(case["sweep"]["overrides"])
        names["sweep"] = sweep
    args = list(case["args"])
    for name, value in names.items():
        args = [a.replace(f"{{{name}}}", str(value)) for a in args]
    before = snapshot(root)
    with pytest.raises(SystemExit) as exc:
        if case["cmd"] == "collect":
            collect.main(args)
        elif case["cmd"] == "benchmark":
            benchmark.main(args if "--out" in args else [*args, "--out", str(root / "bench")])
        else:
            config_name, check_job, files = CHECKS[case["cmd"]]
            if not any(a.startswith("output_root=") for a in args):
                args = [*args, f"output_root={root}"]
            precheck(config_name, check_job, files, args, f"experiments.{case['cmd']}")
    message = str(exc.value.code)
    assert message.startswith("error: ") and "\n" not in message, message
    assert "Traceback" not in message
    assert case["error"] in message, message
    assert snapshot(root) == before  # nothing written


@pytest.mark.parametrize(
    "module, args, error",
    [
        ("experiments.run", ["population.scale=1e-6"], "population.scale = 1e-06"),
        ("experiments.run", ["policy.dibao.standrad=700"], "did you mean standard?"),
        ("experiments.run", ["-m", "sweep_name=../x", "seed=1,2"], "sweep_name = '../x'"),
        ("experiments.compare", ["n_jobs=0"], "n_jobs = 0"),
        ("experiments.calibrate", ["n_jobs=0"], "n_jobs = 0"),
        ("experiments.discover", ["scale=0.1"], "judged on the whole district only"),
        ("experiments.optimize", ["search.risk=0.1"], "no mix can be feasible"),
    ],
)
def test_the_command_itself(tmp_path, module, args, error):
    """The real command: exit code 1, one line on stderr, no folder made."""
    cmd = [sys.executable, "-m", module, f"output_root={tmp_path}", *args]
    if "-m" in args:
        cmd = [sys.executable, "-m", module, "-m", f"output_root={tmp_path}", *args[1:]]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and error in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir())


def config_dir(folder: Path, experiment: dict | None = None) -> Path:
    """A --config-dir with a policy mix ``mine`` and, if given, an experiment ``mine``."""
    (folder / "policy").mkdir(parents=True)
    (folder / "policy" / "mine.yaml").write_text(
        "defaults:\n  - status_quo\n  - _self_\n\nname: mine\ndibao: {standard: 700}\n"
    )
    if experiment is not None:
        base = yaml.safe_load((ROOT / "scenarios/experiment/shock_stress.yaml").read_text())
        if "scenarios" in experiment:  # besides the baseline
            experiment = experiment | {"scenarios": {"status_quo": [], **experiment["scenarios"]}}
        (folder / "experiment").mkdir()
        (folder / "experiment" / "mine.yaml").write_text(yaml.safe_dump(base | experiment))
    return folder


@pytest.mark.parametrize(
    "experiment, error",
    [
        ({"name": "../../x"}, "experiment.name = '../../x': a name that becomes a folder"),
        ({"scenarios": {"bad": ["policy=mine", "policy.dibao.take_up.general=1.5"]}},
         "scenario 'bad / default': policy.dibao.take_up.general = 1.5: must be a probability"),
        ({"scenarios": {"bad": ["policy=yours"]}}, "policy=yours: no such option"),
    ],
)  # fmt: skip
def test_an_experiment_file_of_ones_own_is_checked_first(tmp_path, experiment, error):
    """With --config-dir (a planner's own experiment file) the check still runs first."""
    cd, root = config_dir(tmp_path / "cd", experiment), tmp_path / "out"
    root.mkdir()
    args = ["--config-dir", str(cd), "experiment=mine", f"output_root={root}"]
    with pytest.raises(SystemExit) as exc:
        precheck("compare", compare.check_job, (), args, "experiments.compare")
    message = str(exc.value.code)
    assert error in message and "\n" not in message, message
    assert not any(root.iterdir())


@pytest.mark.parametrize(
    "text",
    ["# @package _global_\nhydra:\n  callbacks:\n    x:\n      _target_: shutil.copyfile\n",
     "defaults:\n  - status_quo\n  - _self_\nname: mine\ndibao:\n  _target_: os.system\n",
     "# @package _global_\nhydra:\n  job_logging:\n    handlers:\n      file:\n        class: os.system\n"],
)  # fmt: skip
def test_a_config_folder_of_ones_own_runs_no_code(tmp_path, text):
    """A colleague's --config-dir cannot make Hydra instantiate anything (nor set callbacks)."""
    (tmp_path / "cd" / "policy").mkdir(parents=True)
    (tmp_path / "cd" / "policy" / "mine.yaml").write_text(text)
    root = tmp_path / "out"
    root.mkdir()
    args = ["--config-dir", str(tmp_path / "cd"), "policy=mine", f"output_root={root}"]
    with pytest.raises(SystemExit) as exc:
        precheck("config", run.check_job, RUN_FILES, args, "experiments.run")
    assert "refused" in str(exc.value.code) and "\n" not in str(exc.value.code)
    assert not any(root.iterdir())


def test_files_of_ones_own_pass_the_check(tmp_path):
    cd = config_dir(tmp_path / "cd", {"scenarios": {"mine": ["policy=mine"]}})
    args = ["--config-dir", str(cd), f"output_root={tmp_path}"]
    precheck("config", run.check_job, RUN_FILES, [*args, "policy=mine"], "experiments.run")
    precheck("compare", compare.check_job, (), [*args, "experiment=mine"], "experiments.compare")
    with pytest.raises(SystemExit, match="--config-dir /nowhere: no such folder"):
        precheck(
            "config", run.check_job, RUN_FILES, ["--config-dir", "/nowhere"], "experiments.run"
        )


def test_an_experiment_file_of_ones_own_writes_nothing_when_bad(tmp_path):
    cd = config_dir(tmp_path / "cd", {"name": "../../x"})
    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "experiments.compare", "--config-dir", str(cd),
           "experiment=mine", f"output_root={out}"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1 and "experiment.name = '../../x'" in proc.stderr, proc.stderr
    assert proc.stderr.strip().count("\n") == 0
    assert not any(out.iterdir())


def test_a_number_python_cannot_read_gets_one_line(tmp_path):
    """More digits than Python converts (4,300): one line naming the key, nothing written."""
    config_name, check_job, files = CHECKS["run"]
    with pytest.raises(SystemExit) as exc:
        precheck(config_name, check_job, files, ["seed=" + "9" * 5000, f"output_root={tmp_path}"])
    message = str(exc.value.code)
    assert message.startswith("error: seed=999") and "4300 digits" in message, message
    assert "\n" not in message and not any(tmp_path.iterdir())


def test_a_file_of_ones_own_wins_over_the_shipped_one(tmp_path, capsys):
    """--config-dir is searched before scenarios/: policy/least_cost_best.yaml of one's own runs."""
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "least_cost_best.yaml").write_text(
        "defaults:\n  - status_quo\n  - _self_\n\nname: least_cost_best\n"
        "medical_assistance: {share: 0.85}\n"
    )
    shipped = yaml.safe_load((ROOT / "scenarios/policy/least_cost_best.yaml").read_text())
    assert shipped["medical_assistance"]["share"] != 0.85
    cmd = [sys.executable, "-m", "experiments.run", "--config-dir", str(tmp_path),
           "policy=least_cost_best", "--cfg", "job"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert yaml.safe_load(proc.stdout)["policy"]["medical_assistance"]["share"] == 0.85
    out = tmp_path / "out"
    out.mkdir()
    precheck("config", run.check_job, RUN_FILES, ["--config-dir", str(tmp_path),
             "policy=least_cost_best", f"output_root={out}"])  # fmt: skip
    assert "note: policy/least_cost_best.yaml of --config-dir" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command, args, error",
    [("compare", ["runner=slurm"], "runner=slurm: no SLURM cluster answers on this machine"),
     ("run", ["-m", "hydra/launcher=cluster", "seed=1,2"],
      "hydra/launcher=cluster: no SLURM cluster answers on this machine (SLURM's commands are "
      "not installed here (no sinfo))")],
)  # fmt: skip
def test_a_cluster_that_is_not_there_gets_one_line(tmp_path, monkeypatch, command, args, error):
    """runner=slurm or the cluster launcher without SLURM: one line, before Hydra writes."""
    from sim.studies.runner import no_cluster

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no sinfo, whatever the machine has
    no_cluster.cache_clear()
    root = tmp_path / "out"
    root.mkdir()
    name, check_job, files = CHECKS[command]
    try:
        with pytest.raises(SystemExit) as exc:
            precheck(
                name, check_job, files, [*args, f"output_root={root}"], f"experiments.{command}"
            )
    finally:
        no_cluster.cache_clear()
    message = str(exc.value.code)
    assert error in message and "\n" not in message, message
    assert not any(root.iterdir())
