"""`okno bench`: a realistic regional workload through the real engine, and every
figure beside the ceiling it is measured against in the same run (docs/PERFORMANCE.md)."""
