"""The offline store: batch feature snapshots and point-in-time training sets, one Ibis
definition run by DuckDB, PostgreSQL or Spark."""
