"""The demo: a region seeded with real centres and a simulated working day."""
