"""Admin registrations for the authz app."""
