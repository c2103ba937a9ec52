"""`constellation app`: start the explorer site on the latest atlas."""

from __future__ import annotations

import subprocess

import click

from constellation.cli.options import PORT, data_dir_option


@click.command("app")
@data_dir_option
@click.option("--port", default=8501, show_default=True, type=PORT, help="TCP port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option(
    "--headless/--open-browser",
    default=True,
    show_default=True,
    help="Only print the URL (the default, for servers and CI), or also open a browser on this machine.",
)
def command(data_dir: str | None, port: int, host: str, headless: bool) -> None:
    """Start the explorer (Streamlit) on the latest atlas of the data directory.

    Runs `streamlit run streamlit_app.py` with $CONSTELLATION_DATA set. Without an atlas yet, the site
    explains how to make one (`make demo`, or `make crawl` then `make build`). Stop it with Ctrl-C.

    \b
    Examples:
      constellation app                          # http://127.0.0.1:8501/
      constellation app --data-dir data/demo     # the offline demo's data
      constellation app --open-browser           # also open it in a browser here
      constellation app --host 0.0.0.0 --port 8080
    """
    from constellation.app.serve import check_port_free, require_app_extra, serve_command
    from constellation.contract import DataLayout

    require_app_extra()
    cmd = serve_command(data_dir, port, host, headless)
    check_port_free(host, port)
    if DataLayout(cmd.data_dir).latest_atlas_id() is None:
        click.echo(f"No atlas in {cmd.data_dir} yet: the site will explain `make demo` and `make crawl`.", err=True)
    click.echo(f"Constellation explorer: {cmd.url}  (data: {cmd.data_dir}; Ctrl-C stops it)")
    try:
        code = subprocess.call(cmd.argv, env=cmd.env, cwd=cmd.cwd)
    except KeyboardInterrupt:
        code = 0
    raise SystemExit(code)
