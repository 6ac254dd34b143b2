"""Personalisation: templates, rules, variant selection and their GraphQL fields."""
