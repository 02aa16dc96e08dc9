"""Retrievers over chunks (BM25, dense, hybrid) and the mapping from chunk to document rankings."""
