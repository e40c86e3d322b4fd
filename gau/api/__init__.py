"""Shared REST API conventions: rendering, parsing, the one error shape, pagination, schema hooks."""
