# expect: F101 F101 F102 S101
# before
def save(db, job):
    db.add(job)
    db.commit()


def create(db, job):
    save(db, job)
    return job


def describe(job):
    return f"job {job}"
# after
async def save(db, job):
    db.add(job)
    await db.commit()


async def create(db, job):
    await save(db, job)
    return job


def describe(job):
    return f"job {job}"
