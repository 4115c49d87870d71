from app.services import purge_jobs


async def publish_all(publisher, days_list):
    total = 0
    for days in days_list:
        total += await publisher(days)
    return total


async def relay(publisher, days_list):
    return await publish_all(publisher, days_list)


def make_publisher(db):
    async def publish(days):
        return await purge_jobs(db, days)

    return publish
