"""Celery tasks of the authz app, named explicitly "authz.<task>"."""
