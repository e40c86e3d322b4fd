"""Celery tasks of the upload app, named explicitly "upload.<task>"."""
