"""Model artifacts on disk and in a model registry."""
