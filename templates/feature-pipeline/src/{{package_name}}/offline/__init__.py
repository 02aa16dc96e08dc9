"""The offline store: batch feature snapshots and point-in-time training sets, in DuckDB SQL."""
