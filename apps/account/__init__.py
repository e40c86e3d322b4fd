"""Users, registration, email verification, login, profile and avatar, password reset, Google sign-in."""
