"""Ranking metrics that agree with trec_eval, and the paired test that compares two systems."""
