"""Run a named comparison: ``python -m experiments.compare experiment=<name> [n_jobs=2]``.

Paired scenarios x seeds; results, tables and charts in
``outputs/compare/<name>/scale_<scale>/``. Run the same command again after an interruption:
finished runs are reused, the rest are run. Every scenario is checked before anything is
written (:mod:`sim.studies.cli`).
"""

import logging
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config.compose import plain
from sim.core.jit import compiled_before
from sim.studies import cli
from sim.studies.compare import compare, scenario_configs, settings
from sim.studies.runner import of

log = logging.getLogger("experiments.compare")


def check_job(cfg: DictConfig) -> None:
    """The settings, the experiment, and every scenario's config."""
    pars, exp = settings(plain(cfg))
    scenario_configs(exp, pars.n_jobs)


@hydra.main(config_path="../scenarios", config_name="compare", version_base="1.3")
def task(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    with cli.one_line_errors():
        pars, exp = settings(plain(cfg))
        if not compiled_before():
            log.info("first run: compiling the model's loops once (10-50 s a worker)")
        table = compare(exp, out, n_jobs=pars.n_jobs, lang=pars.lang, runner=of(pars))
    suffix = "" if pars.lang == "en" else f"_{pars.lang}"
    log.info("%s", (out / f"summary{suffix}.md").read_text())
    log.info("%d scenarios x %d seeds; results: %s", len(table), len(exp.seeds), out)


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "compare", check_job, (), argv, "experiments.compare")


if __name__ == "__main__":
    main()
