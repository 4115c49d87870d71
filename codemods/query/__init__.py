"""Q: the legacy 1.x Query API (`session.query(...)...`, `Model.query...`)."""
