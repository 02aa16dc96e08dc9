"""The load generator and the benchmark matrix behind `make bench`."""
