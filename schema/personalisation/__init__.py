"""Personalisation: templates, lint, previews, rules and personalised content."""
