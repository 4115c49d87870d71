_daily = []


def register_daily(*callbacks):
    _daily.extend(callbacks)


def run_daily():
    for callback in _daily:
        callback()
