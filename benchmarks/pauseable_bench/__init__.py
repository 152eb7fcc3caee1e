"""Benchmarks of pausing, resuming and skipping, run against a real broker (``pauseable bench``)."""
