"""Floor 1: the model.

Households and districts, the checked schema, shocks, levers, outcomes and the
``mesa.Model`` (docs/architecture.md).
"""
