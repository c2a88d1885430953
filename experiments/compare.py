"""Run a named comparison: ``python -m experiments.compare experiment=<name> [n_jobs=2]``.

Paired scenarios x seeds; results, tables and charts in ``outputs/compare/<name>/``. Run the
same command again after an interruption: finished runs are reused, the rest are run.
"""

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.compare import compare, experiment
from sim.errors import ConfigError, DataError


@hydra.main(config_path="../scenarios", config_name="compare", version_base="1.3")
def main(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        data = OmegaConf.to_container(cfg.experiment, resolve=True)
        if cfg.scale is not None:
            data["base"] = [*data["base"], f"population.scale={cfg.scale}"]
        exp = experiment(data)
        table = compare(exp, out, n_jobs=cfg.n_jobs, lang=cfg.lang)
    except (ConfigError, DataError) as exc:
        sys.exit(f"error: {exc}")
    print((out / "summary.md").read_text())
    print(f"{len(table)} scenarios x {len(exp.seeds)} seeds; results: {out}")


if __name__ == "__main__":
    main()
