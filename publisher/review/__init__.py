"""Review before publishing (三审): the workflow, standing approvals for series, notifications."""
