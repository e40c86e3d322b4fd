"""Celery tasks of the cdn app, named explicitly "cdn.<task>"."""
