"""Benchmarks: each module prints our figures and its peer's, measured in the same run."""
