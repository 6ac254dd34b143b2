"""Personalisation: templates, rules, variant selection and off-policy estimates."""
