"""Product recommendations for a customer, with reasons."""
