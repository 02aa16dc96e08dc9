"""Domain logic with no I/O: the feature schema, the synthetic data, drift statistics."""
