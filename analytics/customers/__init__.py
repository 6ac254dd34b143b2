"""Customers: profiles, the rule-segment language, RFM scores and behavioural clusters.

Pure functions over polars frames; see each module for one idea.
"""
