"""The benchmarks behind `make bench` (run as `python -m bench`).

One run measures, on one machine and one scratch database: readings/second
through the HTTP batch API against COPY of the same rows (the database's own
limit), and the time and peak memory of importing a 1,000,000-line Acuview
export with the CLI and of recomputing its energy with the worker. Each
figure is the median of several repetitions; docs/PERFORMANCE.md explains
them and quotes a run.
"""
