"""The configuration file: its model, its loading and its validation."""
