"""Checks of the dropout assignment (catalog: SPEC.md, "dropout")."""
from ..registry import Assignment

ASSIGNMENT = Assignment("dropout", "dropout")
