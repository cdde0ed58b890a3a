"""A real PostgreSQL server for the tests: `initdb` on a temporary folder, `postgres` on a free
127.0.0.1 port, a fresh database per test cloned from a migrated template.

The binaries are looked for in `pg_config --bindir`, /usr/lib/postgresql/*/bin (Debian's
`postgresql` package), then PATH. initdb refuses to run as root: as root the server runs as the
`postgres` user (Debian's package makes it) or else `nobody`. Without binaries the tests that
need the server skip, unless WBPULSE_REQUIRE_PG=1 (CI sets it), where they fail.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

TEMPLATE = "wbpulse_template"
REQUIRE_ENV = "WBPULSE_REQUIRE_PG"


def required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def find_bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name),
        reverse=True,
    )
    candidates += [Path(p) for p in debian]
    found = shutil.which("postgres")
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if (folder / "postgres").exists() and (folder / "initdb").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    """The unprivileged user the server runs as when the tests run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as")


class PgServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _run_as()
        self.root = Path(tempfile.mkdtemp(prefix="wbpulse-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._template_ready = False

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def start(self) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o700)
        subprocess.run(
            self._command(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        self._log = open(self.root / "server.log", "wb")
        self.process = subprocess.Popen(
            self._command(
                str(self.bindir / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=300",
            ),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "postgres exited: " + (self.root / "server.log").read_text(errors="replace")
                )
            # postmaster.pid's 8th line says "ready" once connections are accepted (listening
            # alone is not enough: a connection then meets "the database system is starting up").
            with contextlib.suppress(OSError):
                lines = (self.data / "postmaster.pid").read_text().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            time.sleep(0.1)
        raise RuntimeError("postgres did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # smart shutdown: the clients are gone by now
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def _admin(self) -> asyncpg.Connection:
        import asyncpg  # here, so a checkout whose venv predates asyncpg still collects

        return await asyncpg.connect(self.url())

    async def create_database(self, *, migrated: bool = True) -> str:
        """A new empty database (migrated: cloned from a template that has every migration)."""
        if migrated and not self._template_ready:
            await self._make_template()
        name = f"t{os.getpid()}_{next(self._names)}"
        conn = await self._admin()
        try:
            template = f" TEMPLATE {TEMPLATE}" if migrated else ""
            await conn.execute(f"CREATE DATABASE {name}{template}")
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        conn = await self._admin()
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()

    async def _make_template(self) -> None:
        from bot.store.pg import PgDatabase

        conn = await self._admin()
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()
        db = PgDatabase(self.url(TEMPLATE), pool_size=1)
        await db.open()
        await db.close()
        self._template_ready = True
