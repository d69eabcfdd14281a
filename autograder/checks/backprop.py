"""Checks of the backprop assignment (catalog: SPEC.md, "backprop")."""
from ..registry import Assignment

ASSIGNMENT = Assignment("backprop", "backprop")
