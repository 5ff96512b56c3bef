"""The ledger: items, deliveries and the append-only audit chain, the file store, the delivery lifecycle."""
