"""The training and measurement engine: models, pretraining / probing / fine-tuning, invariance, the
results store, the grid runner, cost estimates and benchmarks. Experiments build on it; it knows
nothing about any experiment."""
