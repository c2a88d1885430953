"""Floor 4: what the commands do.

Runs, runners, comparisons, calibration, sensitivity and the search (docs/architecture.md).
"""
