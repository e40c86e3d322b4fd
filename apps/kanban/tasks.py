"""Celery tasks of the kanban app, named explicitly "kanban.<task>"."""
