"""Items: queueing (intake and imports), editing revisions, the gate applied to items."""
