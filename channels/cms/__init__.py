"""Channel ``cms``: a government CMS with a JSON/HTTP submission API, and its emulator."""
