"""Admin registrations for the cdn app."""
