"""The worker loops: commands the read side finds due (timers, jobs), issued back into the engine."""
