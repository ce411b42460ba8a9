"""Uses of many runs beyond an experiment: calibration against published benchmarks."""
