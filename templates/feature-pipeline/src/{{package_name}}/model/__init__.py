"""The model: trained on the point-in-time training set, saved with what serving needs."""
