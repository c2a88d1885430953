"""Gather a sweep: ``python -m experiments.collect <multirun folder> [--outcome relapsed]``.

Writes ``collected.csv``/``.parquet`` and charts (a heatmap when two parameters were swept)
into the folder. Works on a partial sweep: unfinished runs are counted and left out.
"""

import logging
import sys

from sim.core.errors import DataError
from sim.studies.cli import OneLineParser
from sim.studies.collect import collect


def main(argv: list[str] | None = None) -> None:
    parser = OneLineParser(prog="python -m experiments.collect", description=__doc__)
    parser.add_argument("folder", help="a multirun folder, e.g. outputs/sweeps/sweep")
    parser.add_argument("--outcome", default="relapsed", help="column for the charts")
    parser.add_argument("--lang", default="en", choices=["en", "zh"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    try:
        collect(args.folder, args.outcome, args.lang)
    except DataError as exc:
        sys.exit(f"error: {exc}")
    except OSError as exc:  # an unwritable folder, a full disk
        sys.exit(f"error: cannot write {exc.filename or args.folder}: {exc.strerror or exc}")


if __name__ == "__main__":
    main()
