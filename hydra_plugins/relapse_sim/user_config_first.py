"""Hydra search-path plugin: a ``--config-dir`` folder is searched before ``scenarios/``.

Hydra searches ``--config-dir`` after the app's own config folder, so a planner's
``policy/least_cost_best.yaml`` would be silently shadowed by the shipped file of that name.
:mod:`sim.studies.cli` sets :data:`sim.core.scenarios.EXTRA_CONFIG_DIRS` from the command line before Hydra
starts; this plugin puts those folders first. Outside relapse-sim's commands it does nothing.
"""

import sys

from hydra.core.config_search_path import ConfigSearchPath, SearchPathQuery
from hydra.plugins.search_path_plugin import SearchPathPlugin


class UserConfigFirst(SearchPathPlugin):
    """Put relapse-sim's ``--config-dir`` folders before the shipped ``scenarios/``."""

    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        """Prepend each folder of ``sim.core.scenarios.EXTRA_CONFIG_DIRS`` before the main folder."""
        config = sys.modules.get("sim.config.compose")
        for folder in reversed(getattr(config, "EXTRA_CONFIG_DIRS", [])):
            search_path.prepend(
                "relapse-sim --config-dir", f"file://{folder}", SearchPathQuery(provider="main")
            )
