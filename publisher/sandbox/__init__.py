"""Local emulators of the channel endpoints, following channel-contracts.md (used by tests, the demo, users)."""
