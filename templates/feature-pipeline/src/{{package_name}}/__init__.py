"""A feature pipeline with train/serve skew checks."""

__version__ = "0.1.0"
