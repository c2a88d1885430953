"""Floor 3: figures and words.

The table of reported figures, and the charts (docs/architecture.md).
"""
