"""Global sensitivity: ``python -m experiments.sensitivity analysis=<name> [uncertainty=<set>]``.

Morris screening over every factor of the uncertainty set, then Sobol indices of the top
factors (``methods=[morris,sobol]``), for the analysis's outcomes. Tables (Parquet, CSV,
Markdown), ranked-bar charts with intervals, and the sample with its outcomes in
``outputs/analysis/<name>/scale_<scale>/{morris,sobol}/``. The same command resumes after a
kill (finished chunks of runs are reused). See :mod:`sim.studies.sensitivity`.
"""

import logging

import hydra
from omegaconf import DictConfig

from experiments.discover import analysis_task, check_job
from sim.studies import cli


@hydra.main(config_path="../scenarios", config_name="sensitivity", version_base="1.3")
def task(cfg: DictConfig) -> None:
    analysis_task(cfg, None, logging.getLogger("experiments.sensitivity"))


def main(argv: list[str] | None = None) -> None:
    cli.main(task, "sensitivity", check_job, (), argv, "experiments.sensitivity")


if __name__ == "__main__":
    main()
