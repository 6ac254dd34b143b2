"""The dashboard area of the GraphQL API: queries, mutations, types and inputs."""
