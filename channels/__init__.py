"""First-party channel adapters, registered through the ``publisher.channels`` entry-point group."""
