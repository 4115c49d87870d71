from app.models import latest


def recent_names():
    found = latest(3)
    return [group.name for group in found]


def newest():
    return latest(None)[0]
