"""Cross-cutting pieces every feature package uses: settings, database, clock, phone numbers."""
