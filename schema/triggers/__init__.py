"""Triggers through GraphQL: definitions, templates, the firing log and trigger writes."""
