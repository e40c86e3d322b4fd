"""Celery tasks of the email app, named explicitly "email.<task>"."""
