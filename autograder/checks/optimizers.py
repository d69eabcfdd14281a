"""Checks of the optimizers assignment (catalog: SPEC.md, "optimizers")."""
from ..registry import Assignment

ASSIGNMENT = Assignment("optimizers", "optimizers")
