"""One module per assignment, each declaring ``ASSIGNMENT`` (autograder.registry)."""
