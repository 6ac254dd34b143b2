"""Budget optimisation: performance, curves, the optimiser, scenarios, plans, alerts."""
