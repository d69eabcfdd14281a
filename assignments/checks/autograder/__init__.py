"""Isolated, parallel autograder for the deep-learning assignments (see SPEC.md)."""
