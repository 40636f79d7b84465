"""The JSON API under /api/v1 (routes, dependency aliases, one error mapping to problem+json)."""
