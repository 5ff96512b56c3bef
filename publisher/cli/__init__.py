"""The ``publisher`` command line: one module per command group."""
