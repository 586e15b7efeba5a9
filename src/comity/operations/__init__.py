"""Joint operations: a fraud network turned into coordinated action by several agencies.

Targets per jurisdiction, a synchronized time shown in each agency's time zone, tasks,
outcomes recorded per agency and rolled up into the figures agencies report.
"""
