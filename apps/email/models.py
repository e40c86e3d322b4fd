"""Data owned by the email app. No ForeignKey to another app's models: store ids."""
