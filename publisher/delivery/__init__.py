"""Deliveries: claiming due ones, sending them through adapters, recording outcomes; retract, retry, reconcile."""
