"""The daemon (``publisher run``): the dispatcher and the periodic jobs on one schedule."""
