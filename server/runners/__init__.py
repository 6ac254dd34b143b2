"""Runners: one per report or area, the layer between the edges and the data.

A runner takes typed parameters, reads through ``server.db.repository``, computes with
``analytics`` and returns a typed result; slow results are cached by data version in
``server.runners.base``. GraphQL resolvers, pages, CLI commands and job actors call
runners; none of them reaches past a runner into the repository for report work.
"""
