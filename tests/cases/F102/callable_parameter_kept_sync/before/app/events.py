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


def log_days(days):
    print(days)
    return 0


def report(days_list):
    return publish_all(log_days, days_list)


_later = []


def defer(callback):
    _later.append(callback)


def schedule(db):
    defer(make_publisher(db))
