"""The GP directory: who is calling, so seniors hear a name instead of a number."""
