"""Report computations behind the analytics fields: snapshot, cache, filters, reports."""
