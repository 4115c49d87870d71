"""F: async coloring across the repository, its boundaries, and relationship loading under asyncio."""
