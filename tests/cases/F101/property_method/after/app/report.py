from app import stats as stats_module


async def line(stats: "stats_module.Stats") -> str:
    return f"{stats.label}: {await stats.total()} jobs"


async def digits(stats: stats_module.Stats) -> int:
    return len(str(await stats.total())) + (await stats.per_user()).__round__()
