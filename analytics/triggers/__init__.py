"""Triggers: behaviour sequences found in events (``sequences``) and the firing policy
that decides, once per occasion, whether a due occasion fires (``policy``)."""
