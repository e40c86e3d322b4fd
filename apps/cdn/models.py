"""Data owned by the cdn app. No ForeignKey to another app's models: store ids."""
