"""Benchmarks of the ethics scoring API, reported as ratios measured within one run.

The machine the project runs on is noisy and shared, so absolute timings mean little from one
run to the next. Each benchmark measures two things side by side in the same run, alternating
between them, and reports their medians and the ratio. Run it with `python -m benchmarks`;
see benchmarks/README.md.
"""
