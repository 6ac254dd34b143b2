"""The GraphQL API: types, queries, mutations, loaders and permissions.

``schema.root.schema`` is the Strawberry schema; ``schema.operations.execute`` runs an
operation in-process with the same per-request context as ``/graphql``.
"""
