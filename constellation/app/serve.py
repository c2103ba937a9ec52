"""How `constellation app` starts the site: the `streamlit run` command line and its environment."""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import constellation
from constellation.contract import DATA_ENV, DataLayout
from constellation.errors import AppError

APP_SCRIPT = Path(constellation.__file__).resolve().parents[1] / "streamlit_app.py"
# The `app` extra of pyproject.toml: what the site imports beyond the base install.
APP_PACKAGES: tuple[str, ...] = ("streamlit", "plotly", "pyvis", "wordcloud")


@dataclass(frozen=True)
class ServeCommand:
    argv: list[str]
    env: dict[str, str]
    url: str
    data_dir: Path
    cwd: Path = APP_SCRIPT.parent  # where streamlit finds .streamlit/config.toml


def missing_app_packages() -> list[str]:
    """The packages of the `app` extra that cannot be imported here."""
    return [name for name in APP_PACKAGES if importlib.util.find_spec(name) is None]


def require_app_extra() -> None:
    """Raise AppError naming the missing packages when the `app` extra is not installed."""
    missing = missing_app_packages()
    if missing:
        raise AppError(
            f"the explorer needs the `app` extra ({', '.join(missing)} not installed); "
            "install it with `pip install 'constellation[app]'` (in a checkout: `make setup`)"
        )


def serve_command(data_dir: str | os.PathLike[str] | None, port: int, host: str, headless: bool) -> ServeCommand:
    if not APP_SCRIPT.is_file():
        raise AppError(f"{APP_SCRIPT} is missing; run the app from a checkout of the Constellation repository")
    if not 1 <= port <= 65535:
        raise AppError(f"--port {port} is not a TCP port; pick one in 1–65535, e.g. 8501")
    root = DataLayout.at(data_dir).root.resolve()
    env = {**os.environ, DATA_ENV: str(root)}
    argv = [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true" if headless else "false",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    return ServeCommand(argv, env, f"http://{shown}:{port}/", root)


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise AppError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another with --port") from None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
