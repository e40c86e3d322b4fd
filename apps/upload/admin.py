"""Admin registrations for the upload app."""
