"""Protections every request passes through: security headers, body size limits and rate
limits (authentication and CSRF live beside it in server.auth and server.csrf)."""
