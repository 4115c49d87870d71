import click

from app.database import SessionLocal
from app.services import purge_jobs


@click.group()
def cli():
    pass


@cli.command()
@click.option("--days", default=30)
def purge(days):
    """Delete the jobs older than DAYS days."""
    with SessionLocal() as db:
        click.echo(purge_jobs(db, days))
