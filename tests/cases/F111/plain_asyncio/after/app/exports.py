import asyncio
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.models import Export

EXPORTS = Path("/var/exports")
pool = ThreadPoolExecutor(max_workers=2)


async def archive_export(db, export_id: int, target: Path) -> Path:
    export = await db.get(Export, export_id)
    source = EXPORTS / export.filename
    await asyncio.to_thread(shutil.copy, source, target)
    await asyncio.to_thread(subprocess.run, ["gzip", "-f", str(target)], check=True)
    checksum = pool.submit(lambda: subprocess.check_output(["sha256sum", str(source)]))
    with open(target.with_suffix(".meta"), "w") as meta:
        meta.write(export.filename)
    await asyncio.to_thread((EXPORTS / "latest").write_text, export.filename)
    export.archived = True
    await db.commit()
    await asyncio.sleep(1)  # the storage gateway lists new files once a second
    return target.with_suffix(".gz"), checksum


async def read_manifest(path: Path) -> str:
    return path.read_text()


def read_log(path: Path) -> str:
    return path.read_text()
