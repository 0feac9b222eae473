"""okno: the entrypoints (CLI, worker, demo, bench) and the one bootstrap that wires engine, projections and api."""
