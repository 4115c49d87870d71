"""LibCST codemods, one module per rule family."""
