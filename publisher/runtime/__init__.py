"""What every command starts from: a configuration wired to its store, clock and channel adapters."""
