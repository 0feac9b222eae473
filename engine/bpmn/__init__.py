"""BPMN: loading, validation and the deterministic runtime around SpiffWorkflow."""
