"""The embedded event source."""
