"""The HTTP data API beside GraphQL: file imports and exports for programs and BI tools."""
