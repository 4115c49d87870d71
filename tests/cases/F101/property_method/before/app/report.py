from app import stats as stats_module


def line(stats: "stats_module.Stats") -> str:
    return f"{stats.label}: {stats.total} jobs"


def digits(stats: stats_module.Stats) -> int:
    return len(str(stats.total)) + stats.per_user.__round__()
