"""Benchmarks (`make bench`): each reports its measurement as a ratio to a floor timed in the same run."""
