"""Registers the report counts from: disclosure applications (依申请公开) and appeals (行政复议/诉讼)."""
