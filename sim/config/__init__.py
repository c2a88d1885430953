"""Floor 2: composing configurations with Hydra.

And a comparison's section (docs/architecture.md).
"""
