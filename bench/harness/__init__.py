"""The pieces of bench/load.py: the processes of a deployment and the GraphQL clients."""
