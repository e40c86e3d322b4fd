"""Data owned by the kanban app. No ForeignKey to another app's models: store ids."""
