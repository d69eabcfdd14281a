"""Checks of the batchnorm assignment (catalog: SPEC.md, "batchnorm")."""
from ..registry import Assignment

ASSIGNMENT = Assignment("batchnorm", "batchnorm")
