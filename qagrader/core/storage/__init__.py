"""Storage: the workspace file, its schema, and what each write changed."""
