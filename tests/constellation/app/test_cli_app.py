import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from constellation.app.serve import APP_SCRIPT, check_port_free, serve_command
from constellation.cli import main
from constellation.errors import AppError


def test_help_has_examples():
    result = CliRunner().invoke(main, ["app", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "constellation app --data-dir data/demo" in result.output


def test_serve_command(tmp_path):
    cmd = serve_command(tmp_path, 8600, "0.0.0.0", headless=True)
    assert cmd.argv[:5] == [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT)]
    assert cmd.argv[5:] == [
        "--server.port", "8600", "--server.address", "0.0.0.0",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    assert cmd.env["CONSTELLATION_DATA"] == str(tmp_path.resolve())
    assert cmd.url == "http://localhost:8600/"
    with pytest.raises(AppError, match="--port 70000 is not a TCP port"):
        serve_command(tmp_path, 70000, "127.0.0.1", headless=True)


def test_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(AppError, match=f"cannot listen on 127.0.0.1:{port}"):
            check_port_free("127.0.0.1", port)
        result = CliRunner().invoke(main, ["app", "--data-dir", str(tmp_path), "--port", str(port), "--headless"])
        assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output


@pytest.mark.parametrize("subcommand", [["app"], ["demo", "--models", "10"]])
def test_without_the_app_extra_one_line_says_how_to_install_it(tmp_path, subcommand):
    # A crawler-only install has no streamlit: sys.modules[name] = None makes its import fail as if absent.
    probe = (
        "import sys; sys.modules['streamlit'] = None; "
        "from constellation.cli import main; "
        f"main([*{subcommand!r}, '--data-dir', {str(tmp_path)!r}])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: the explorer needs the `app` extra (streamlit not installed); "
        "install it with `pip install 'constellation[app]'` (in a checkout: `make setup`)\n"
    )
    assert not list(tmp_path.iterdir()), "nothing should be crawled or written before the check"
