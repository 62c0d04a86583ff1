"""Benchmarks: `python -m bench.<name>`; figures in docs/BENCHMARKS.md."""
