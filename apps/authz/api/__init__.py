"""The authz app's public REST API (mounted under /api/v2/authz/)."""
