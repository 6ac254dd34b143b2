"""The experiments area of the GraphQL API: queries, mutations, types and inputs."""
