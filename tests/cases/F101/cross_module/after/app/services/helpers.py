async def save(db, job):
    db.add(job)
    await db.commit()
    return job


class Cache:
    """Not a database helper: its `save` must stay a plain call."""

    def __init__(self):
        self.saved = []

    def save(self, job):
        self.saved.append(job)
