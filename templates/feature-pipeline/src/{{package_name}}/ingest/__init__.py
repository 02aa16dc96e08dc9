"""Batch ingestion: raw events in, validated events and a count of every rejected row out."""
