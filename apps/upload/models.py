"""Data owned by the upload app. No ForeignKey to another app's models: store ids."""
