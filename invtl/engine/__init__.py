"""The training and measurement engine: models, pretraining / probing / fine-tuning, invariance, the
results store and its locks, the grid runner, its executors (SLURM through submitit) and status, cost
estimates and benchmarks. Experiments build on it; it knows nothing about any experiment."""
