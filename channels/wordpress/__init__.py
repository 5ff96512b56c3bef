"""Channel ``wordpress``: posts through the WordPress REST API, and its emulator."""
