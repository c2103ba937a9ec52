"""Benchmarks. `make bench` runs every `bench/bench_*.py` module in its own process (so peak memory is
per benchmark), writes JSON results to bench/out/, and prints a summary. Figures are recorded by hand in
docs/benchmarks.md with the date and machine.

A benchmark module exposes `main(argv: list[str]) -> dict` returning its measurements, and runs
standalone as `python -m bench.bench_x [options]`.
"""
