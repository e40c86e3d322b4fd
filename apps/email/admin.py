"""Admin registrations for the email app."""
