from app.services import purge_jobs


def publish_all(publisher, days_list):
    total = 0
    for days in days_list:
        total += publisher(days)
    return total


def relay(publisher, days_list):
    return publish_all(publisher, days_list)


def make_publisher(db):
    def publish(days):
        return purge_jobs(db, days)

    return publish
