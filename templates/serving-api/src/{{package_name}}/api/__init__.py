"""The HTTP service: schemas, routes, middleware, metrics, micro-batching."""
