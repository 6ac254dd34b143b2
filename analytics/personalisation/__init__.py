"""Personalisation: template tokens, the render sandbox, template lint and rules (this
half), and variant selection with off-policy estimates (``variants``, ``off_policy``)."""
