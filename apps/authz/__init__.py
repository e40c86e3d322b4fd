"""JWT access/refresh tokens, rotation and revocation, sessions, roles and permissions, API keys, JWKS."""
