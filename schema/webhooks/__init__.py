"""Provider webhooks: the inbox, the kept (quarantined) events, re-processing them."""
