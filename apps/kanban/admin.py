"""Admin registrations for the kanban app."""
