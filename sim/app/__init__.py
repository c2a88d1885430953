"""Floor 5: the planner's dashboard.

Its logic, and the Solara page (docs/architecture.md).
"""
