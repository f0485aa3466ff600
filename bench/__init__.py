"""Benchmarks: speed goals reported as ratios against a reference measured in the same run."""
