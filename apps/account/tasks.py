"""Celery tasks of the account app, named explicitly "account.<task>"."""
