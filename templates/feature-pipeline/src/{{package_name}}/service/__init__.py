"""The scoring service: features from the online store, the model, and a log of what was served."""
