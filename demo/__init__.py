"""Demo data so a fresh install can take a simulated call at once."""
