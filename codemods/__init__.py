"""LibCST codemods: shared machinery (core/), the repository index (index/), one subpackage per rule family."""
