"""Floor 0: what everything uses.

Errors, checked parameters, dated values, money in fen, random streams, the numba
cache, files and the config folders (docs/architecture.md).
"""
