"""What drives whole grids of experiments: the SLURM/submitit executors (`executors`), the status of a
profile's grids (`status`), and the benchmarks that decide settings on real jobs (`bench_settings`).

It sits above `invtl.experiments`; `invtl.engine` and `invtl.t2d` never import it or the experiments.
"""
