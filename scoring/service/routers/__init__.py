"""The endpoint's routers: health (open), ops, model, score (behind the API key)."""
