import click
from sqlasync.compat import run_from_sync

from app.database import SessionLocal
from app.services import purge_jobs


@click.group()
def cli():
    pass


@cli.command()
@click.option("--days", default=30)
def purge(days):
    """Delete the jobs older than DAYS days."""
    return run_from_sync(purge_async, days)


async def purge_async(days):
    async with SessionLocal() as db:
        click.echo(await purge_jobs(db, days))
