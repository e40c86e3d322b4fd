"""File and media uploads to object storage: streaming, limits, type sniffing, metadata."""
