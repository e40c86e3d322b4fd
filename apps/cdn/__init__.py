"""Public image delivery from object storage: HTTP caching, Redis cache, resized/converted variants."""
