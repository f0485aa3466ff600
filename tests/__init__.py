"""execplan's test suite."""
