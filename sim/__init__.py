"""relapse-sim: households relapsing into poverty, and the policies that prevent it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("relapse-sim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from sim.core.errors import ConfigError, DataError  # noqa: E402

__all__ = ["ConfigError", "DataError", "__version__"]
