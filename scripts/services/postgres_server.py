"""A private, throwaway PostgreSQL cluster for tests and benchmarks.

Uses the server binaries of Debian's `postgresql` package (`/usr/lib/postgresql/<ver>/bin`,
installed by scripts/install-test-services.sh). The cluster listens on 127.0.0.1 only, on a
free port, with its unix socket in the work dir and trust authentication for user
`postgres`. PostgreSQL refuses to run as root, so as root the cluster runs as the
unprivileged `postgres` system user (via runuser) and its directory is chowned to that user;
if the given work dir is not reachable by that user, the cluster lives in a fresh directory
under the system temp dir instead and is removed by `stop()`.

Manual use:  python scripts/services/postgres_server.py [WORK_DIR]   (Ctrl-C stops it)
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

RUN_AS_USER = "postgres"


class PostgresStartError(RuntimeError):
    """The cluster could not be created or started; the message includes the server log."""


def find_bin_dir() -> Path:
    override = os.environ.get("PG_BIN_DIR")
    candidates = [Path(override)] if override else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    raise PostgresStartError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found; install them with "
        "`bash scripts/install-test-services.sh` (Debian package `postgresql`) or set PG_BIN_DIR"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_user(command: list[str]) -> list[str]:
    if not _is_root():
        return command
    if shutil.which("runuser") is None:
        raise PostgresStartError("running as root needs `runuser` (util-linux) to drop to postgres")
    return ["runuser", "-u", RUN_AS_USER, "--", *command]


def _chown_to_run_user(path: Path) -> None:
    if _is_root():
        shutil.chown(path, user=RUN_AS_USER, group=None)


def _user_can_reach(path: Path) -> bool:
    if not _is_root():
        return True
    result = subprocess.run(
        ["runuser", "-u", RUN_AS_USER, "--", "test", "-x", str(path)], check=False
    )
    return result.returncode == 0


@dataclass
class PostgresServer:
    bin_dir: Path
    data_dir: Path
    socket_dir: Path
    port: int
    _owned_dirs: list[Path] = field(default_factory=list)
    _running: bool = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / "postgres.log"

    def url_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start_server(self, timeout_s: int = 60) -> None:
        """Start (or restart) on the same data dir and port."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.socket_dir} -c max_connections=200"
        )
        command = [
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(timeout_s),
            "-o",
            options,
            "start",
        ]
        result = subprocess.run(_as_user(command), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresStartError(
                f"pg_ctl start failed on port {self.port} ({result.stderr.strip()}); "
                f"server log {self.log_file}:\n{self._log_tail()}"
            )
        self._running = True

    def stop_server(self, mode: str = "fast") -> None:
        """Stop the server but keep the data dir, so `start_server()` resumes it."""
        if not self._running:
            return
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "stop"]
        subprocess.run(_as_user(command), capture_output=True, check=False, timeout=120)
        self._running = False

    def stop(self) -> None:
        """Stop the server and delete any directory this module created outside the work dir."""
        self.stop_server()
        for path in self._owned_dirs:
            shutil.rmtree(path, ignore_errors=True)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def start_postgres(work_dir: Path) -> PostgresServer:
    """initdb + start a cluster under `work_dir` (or a reachable temp dir when root)."""
    bin_dir = find_bin_dir()
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    owned: list[Path] = []
    base = work_dir / "postgres"
    if not _user_can_reach(work_dir):
        base = Path(tempfile.mkdtemp(prefix="ig-postgres-"))
        os.chmod(base, 0o755)
        owned.append(base)
    base.mkdir(parents=True, exist_ok=True)
    # Unix socket paths are limited to ~107 bytes; long work dirs get a short socket dir.
    socket_dir = base / "socket"
    if len(str(socket_dir)) > 80:
        socket_dir = Path(tempfile.mkdtemp(prefix="ig-pgsock-"))
        owned.append(socket_dir)
    socket_dir.mkdir(exist_ok=True)
    data_dir = base / "data"
    for path in (base, socket_dir):
        _chown_to_run_user(path)
    server = PostgresServer(bin_dir, data_dir, socket_dir, free_port(), owned)
    if not (data_dir / "PG_VERSION").exists():
        command = [
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]
        result = subprocess.run(_as_user(command), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            server.stop()
            raise PostgresStartError(f"initdb failed in {data_dir}: {result.stderr.strip()}")
    try:
        server.start_server()
    except PostgresStartError:
        server.stop()
        raise
    return server


def main() -> None:
    work_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="ig-pg-"))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    server = start_postgres(work_dir)
    print(f"PostgreSQL running: {server.url}  (data {server.data_dir}); Ctrl-C stops it")
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        server.stop()


if __name__ == "__main__":
    main()
