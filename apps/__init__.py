"""Gau's six apps; each stands in for a microservice and is reached only through its interface."""
