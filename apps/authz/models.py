"""Data owned by the authz app. No ForeignKey to another app's models: store ids."""
