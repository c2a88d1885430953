"""Every config option composes and runs; bad input gets a one-line error naming the key."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.config.compose import compose
from sim.core.errors import ConfigError
from sim.core.scenarios import CONFIG_DIR
from sim.engine.schema import check
from sim.studies.cli import output_dirs, table_merges
from sim.studies.run import simulate

# groups of other root configs
ROOTS = {"experiment": "compare", "calibration": "calibrate", "analysis": "sensitivity",
         "uncertainty": "sensitivity", "search": "optimize", "slurm": "compare"}  # fmt: skip
GROUPS = sorted(p.name for p in CONFIG_DIR.iterdir() if p.is_dir() and p.name not in ROOTS)
CALIBRATIONS = sorted(f.stem for f in (CONFIG_DIR / "calibration").glob("*.yaml"))
EXPERIMENTS = sorted(f.stem for f in (CONFIG_DIR / "experiment").glob("*.yaml"))
ANALYSES = [(a.stem, u.stem) for a in sorted((CONFIG_DIR / "analysis").glob("*.yaml"))
            for u in sorted((CONFIG_DIR / "uncertainty").glob("*.yaml"))]  # fmt: skip
OPTIONS = [(g, f.stem) for g in GROUPS for f in sorted((CONFIG_DIR / g).glob("*.yaml"))]


def test_groups_are_found():
    assert {"population", "shocks", "policy", "outcomes", "calibrated"} <= set(GROUPS)
    assert {"default", "none", "price_crash", "flood", "lockdown"} <= {
        o for g, o in OPTIONS if g == "shocks"
    }


@pytest.mark.parametrize("group, option", OPTIONS)
def test_every_option_composes_and_runs(group, option, tmp_path):
    overrides = [f"{group}={option}", "population.scale=0.01", "months=3"]
    if (group, option) == ("population", "register"):
        from sim.engine.population import district, save

        path = tmp_path / "register.csv"
        save(district(compose(["population.scale=0.002"]), 1), path)
        overrides = [f"{group}={option}", f"population.file={path}", "months=3"]  # run whole
    res = simulate(compose(overrides))
    assert len(res.monthly) == 3


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_and_its_scenarios_compose(name):
    from omegaconf import OmegaConf

    from sim.config.experiment import experiment, scenario_overrides

    cfg = compose([f"experiment={name}"], config_name="compare")
    exp = experiment(OmegaConf.to_container(cfg.experiment, resolve=True))
    assert len(exp.seeds) >= 20
    for scenario, overrides in scenario_overrides(exp).items():
        run = check(compose(overrides))
        assert run.pars.months >= 60, scenario


@pytest.mark.parametrize("analysis, uncertainty", ANALYSES)
def test_every_analysis_and_uncertainty_set_is_checked(analysis, uncertainty):
    """Every factor's keys exist in the analysis's config and both range ends are accepted."""
    from sim.config.compose import plain
    from sim.studies.sensitivity import settings

    cfg = compose([f"analysis={analysis}", f"uncertainty={uncertainty}"], "sensitivity")
    plan = settings(plain(cfg), ["morris", "sobol", "prim"])
    assert len(plan.uset.factors) >= 15 and plan.outcomes


@pytest.mark.parametrize(
    "override, message",
    [
        ("shocks.illness.p_person_year=1.3", r"^shocks\.illness\.p_person_year = 1\.3: must be a probability"),
        ("shocks.jobs.p_reemploy=-0.2", r"^shocks\.jobs\.p_reemploy = -0\.2: must be a probability"),
        ("+shocks.illness.typo=1", r"^shocks\.illness\.typo: unknown key"),
        ("months=0", r"^months = 0: must be between 1 and 372"),
        ("start=2021-13", r"^start = '2021-13': must be a month written YYYY-MM"),
        ("outcomes.poverty_line.2021=-1", r"^outcomes\.poverty_line\.2021 = -1\.0: must be > 0"),
        ("lang=fr", r"^lang = 'fr': use en or zh"),
        ("adjust=[policy.dibao.typo+10%]", r"^adjust: policy\.dibao\.typo: no such key"),
        ("policy.dibao.take_up.general={2021: 0.8, 2026: 1.5}", r"^policy\.dibao\.take_up\.general\.2026 = 1\.5: must be a probability"),
        ("policy.dibao.enabled={2021: true, 2026: 3}", r"^policy\.dibao\.enabled\.2026 = 3: must be true or false"),
        ("policy.dibao.take_up.general=1.5", r"^policy\.dibao\.take_up\.general = 1\.5: must be a probability"),
        ("burn_in_policy.credit.interest_rate=-1", r"^burn_in_policy\.credit\.interest_rate = -1\.0: must be >= 0"),
    ],
)  # fmt: skip
def test_bad_values_are_named(override, message):
    with pytest.raises(ConfigError, match=message):
        check(compose([override]))


def test_a_mapping_override_says_which_keys_keep_their_values():
    notes = table_merges(["policy.dibao.take_up={general: 0.5}"], "config")
    assert notes == [
        "note: policy.dibao.take_up={general: 0.5} merges into the config's policy.dibao.take_up;"
        " edge, poverty_alleviated keep their values (to replace the whole table: "
        "~policy.dibao.take_up +policy.dibao.take_up={...})"
    ]
    assert (
        table_merges(
            ["policy.dibao.take_up={general: 0.5, edge: 1, poverty_alleviated: 1}"], "config"
        )
        == []
    )


def test_a_swept_value_with_slashes_stays_in_one_sweep_folder(tmp_path):
    cfg = compose(
        [f"output_root={tmp_path}", "population=register", "population.file=../../../etc/x.csv"],
        hydra_node=True,
    )
    folder = output_dirs(cfg, multirun=True)
    assert folder.parent == tmp_path / "sweeps" / "sweep"
    assert folder.name == "population.file=..%2F..%2F..%2Fetc%2Fx.csv,population=register"


def test_unknown_key_without_plus_is_a_config_error():
    with pytest.raises(ConfigError, match=r"shocks\.illness\.typo"):
        compose(["shocks.illness.typo=1"])


# -- the command line: one clear line on stderr, no traceback, nothing written ----------------


def run_cli(tmp_path, *args):
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "experiments.run",
        f"output_root={tmp_path}",
        f"hydra.run.dir={out}",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    return proc, out


@pytest.mark.parametrize(
    "args, message",
    [
        (["shocks.illness.p_person_year=1.3"], "shocks.illness.p_person_year = 1.3: must be a probability"),
        (["shocks.illness.typo=1"], "shocks.illness.typo: unknown key"),
        (["+shocks.illness.typo=1"], "shocks.illness.typo: unknown key"),
        (["shocks=tsunami"], "shocks=tsunami: no such option"),
        (["population.file=/nonexistent.csv"], "no such file"),
    ],
)  # fmt: skip
def test_cli_bad_input(tmp_path, args, message):
    proc, out = run_cli(tmp_path, *args)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "monthly.parquet").exists()


def test_cli_bad_register_names_the_column(tmp_path):
    from sim.engine.population import district

    df = district(compose(["population.scale=0.002"]), 1).register()
    df.loc[2, "n_members"] = -3
    path = tmp_path / "reg.csv"
    df.to_csv(path, index=False)
    proc, _ = run_cli(tmp_path, f"population.file={path}")
    assert proc.returncode != 0
    assert "column 'n_members' is negative in rows 4" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_runs_and_reports(tmp_path):
    proc, out = run_cli(tmp_path, "population.scale=0.01", "months=3", "shocks=flood")
    assert proc.returncode == 0, proc.stderr
    assert "relapsed households" in proc.stdout and str(out) in proc.stdout
    assert (out / "monthly.parquet").exists() and (out / "relapse.png").exists()


@pytest.mark.parametrize("name", CALIBRATIONS)
def test_every_calibration_parses_and_its_keys_exist(name):
    from omegaconf import OmegaConf

    from sim.engine.schema import to_dict
    from sim.studies.fit import calibration, current_values, with_values

    cfg = compose([f"calibration={name}"], config_name="calibrate")
    cal, table, free = calibration(OmegaConf.to_container(cfg.calibration, resolve=True))
    base = to_dict(compose(list(cal.base)))
    values = current_values(base, free)
    moved = with_values(base, free, {k: (f.low + f.high) / 2 for k, f in free.items()})
    check(moved)  # every key exists and the midpoint of every range is a valid value
    assert set(values) == set(free) and len(table) >= 10


def test_no_shipped_option_sets_a_fitted_value():
    """The calibrated values hold for every shipped option: compose() changes none of them."""
    for group, option in OPTIONS:
        if group != "calibrated":
            notes: list[str] = []
            compose([f"{group}={option}"], notes=notes)
            assert notes == [], (group, option)


def test_a_policy_file_of_ones_own_keeps_its_fitted_value(tmp_path):
    """Take-up 0.9 in one's own mix runs as 0.9 (it ran as the fitted 0.56), and says so."""
    folder = tmp_path / "mine"
    (folder / "policy").mkdir(parents=True)
    (folder / "policy" / "outreach.yaml").write_text(
        "defaults:\n  - status_quo\n  - _self_\n\nname: outreach\n"
        "dibao:\n  take_up:\n    poverty_alleviated: 0.9\n"
    )
    fitted = compose([]).policy.dibao.take_up
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.run", "--config-dir", str(folder), "policy=outreach",
         "population.scale=0.01", "months=2", "burn_in=0", "chart=false",
         f"hydra.run.dir={out}", f"output_root={tmp_path}"],
        capture_output=True, text=True, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "note: policy.dibao.take_up.poverty_alleviated = 0.9, as the chosen files set it" in (
        proc.stderr
    )
    ran = yaml.safe_load((out / "config.yaml").read_text())["policy"]["dibao"]["take_up"]
    assert ran == {**fitted, "poverty_alleviated": 0.9}  # the rest keeps the fitted values
    assert fitted["poverty_alleviated"] != 0.9


# -- every number of the model's configs says where it comes from ----------------------------

# Words that name a source (a document, a statistic, a year, the fit) or say "assumption".
SOURCE = re.compile(
    r"assumption|plan|NBS|MCA|NRRA|NHSA|Chongqing|Fuling|notice|bulletin|communiqu|statistic|"
    r"calibrat|fitted|DESIGN|survey|report|measures|standard|law|regulation|20\d\d|setting|"
    r"[\u4e00-\u9fff]",
    re.I,
)
MODEL_GROUPS = ("policy", "population", "shocks", "outcomes", "history")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _comments(lines: list[str], i: int) -> list[str]:
    """The comment of line ``i`` and the comment lines below that continue it."""
    out = [lines[i].split("#", 1)[1]] if "#" in lines[i] else []
    k = i + 1
    while (
        k < len(lines)
        and lines[k].strip().startswith("#")
        and _indent(lines[k]) > _indent(lines[i])
    ):
        out.append(lines[k])
        k += 1
    return out


def _said_of(lines: list[str], i: int) -> str:
    """What the file says of line ``i``: its comments, its elder siblings' and its parents'."""
    out, own, level, j = _comments(lines, i), _indent(lines[i]), _indent(lines[i]), i - 1
    while j >= 0 and level > 0:
        line = lines[j]
        if line.strip() and not line.strip().startswith("#"):
            if _indent(line) == level == own:
                out += _comments(lines, j)  # a sibling's comment speaks for the block
            elif _indent(line) < level:
                out += _comments(lines, j)
                level = _indent(line)
        j -= 1
    return " ".join(out)


def unsourced(text: str) -> list[int]:
    """Lines (from 1) holding a number that nothing around it gives a source for."""
    lines = text.splitlines()
    bad = []
    for i, line in enumerate(lines):
        m = re.match(r"^\s*(-\s+)?[\w'\"]+\s*:\s*(.+?)\s*$", line.split("#", 1)[0])
        if m and re.search(r"(?<![\w.])-?\d", m[2]) and "${" not in m[2]:
            if not SOURCE.search(_said_of(lines, i)):
                bad.append(i + 1)
    return bad


def test_the_source_check_finds_a_number_without_one():
    text = "dibao:\n  standard: 515  # yuan/month; Chongqing notice 2021\n  minimum: 40\n"
    assert unsourced(text) == []  # a sibling's source speaks for the block
    assert unsourced("dibao:\n  minimum: 40  # yuan/month\n") == [2]
    assert unsourced("dibao:  # assumption\n  minimum: 40\n") == []


@pytest.mark.parametrize("group", MODEL_GROUPS)
def test_every_number_of_the_model_has_a_source_or_says_assumption(group):
    """Each number in the model's config files, or its block, names a source or "assumption"."""
    bad = {
        f"{path.relative_to(CONFIG_DIR)}:{line}"
        for path in sorted((CONFIG_DIR / group).glob("*.yaml"))
        for line in unsourced(path.read_text(encoding="utf-8"))
    }
    assert bad == set()
