"""S and D: session I/O, how code gets hold of a session (acquisition, fixtures), and X (safety)."""
