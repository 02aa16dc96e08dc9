"""Corpora, queries and relevance judgements: types and loaders for the formats people use."""
