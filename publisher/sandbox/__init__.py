"""Local emulators of the channel endpoints (used by tests, the demo, users); see docs/sandbox.md.

Each follows the platform's contract in its channel's README.md (channels/<name>/README.md).
"""
