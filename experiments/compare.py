"""Run a named comparison: ``python -m experiments.compare experiment=<name> [n_jobs=2]``.

Paired scenarios x seeds; results, tables and charts in
``outputs/compare/<name>/scale_<scale>/``. Run the same command again after an interruption:
finished runs are reused, the rest are run.
"""

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.compare import compare, experiment
from sim.errors import ConfigError, DataError
from sim.jit import compiled_before

log = logging.getLogger("experiments.compare")


@hydra.main(config_path="../scenarios", config_name="compare", version_base="1.3")
def main(cfg: DictConfig) -> None:
    logging.getLogger("MESA").setLevel(logging.WARNING)
    out = Path(HydraConfig.get().runtime.output_dir)
    try:
        if cfg.lang not in ("en", "zh"):
            raise ConfigError(f"lang = {cfg.lang!r}: use en or zh")
        data = OmegaConf.to_container(cfg.experiment, resolve=True)
        data["base"] = [*data["base"], f"population.scale={cfg.scale}"]
        if cfg.months is not None:
            data["base"].append(f"months={cfg.months}")
        exp = experiment(data)
        if not compiled_before():
            log.info("first run: compiling the model's loops once (10-50 s a worker)")
        table = compare(exp, out, n_jobs=cfg.n_jobs, lang=cfg.lang)
    except (ConfigError, DataError) as exc:
        sys.exit(f"error: {exc}")
    suffix = "" if cfg.lang == "en" else f"_{cfg.lang}"
    log.info("%s", (out / f"summary{suffix}.md").read_text())
    log.info("%d scenarios x %d seeds; results: %s", len(table), len(exp.seeds), out)


if __name__ == "__main__":
    main()
