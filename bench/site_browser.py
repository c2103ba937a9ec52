"""The running site's memory with one visitor, then with many at once, in real headless Chromium.

    python -m bench.site_browser --data-dir DIR                 # one visitor, then 20 (the default)
    python -m bench.site_browser --data-dir DIR --sessions 5

Starts `constellation app` on a free port (the real CLI and `streamlit run`, as tests/constellation/app/
test_browser.py does), opens the site in Debian's Chromium through Playwright, and has each visitor open
the overview, then the pages in `--tour`. The server's resident memory (the CLI and its `streamlit run`
child, summed from /proc) is read after one visitor's tour, then after `--sessions` visitors (each its
own browser context: its own Streamlit session) have done the same tour and still hold their sessions
open. The caches are shared across sessions (st.cache_resource), so many visitors should cost little more
than one: what grows is each session's own state and the widgets' messages.

Needs /usr/bin/chromium (Debian's `chromium` package) and the playwright package; the browsers' own
memory is not counted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import parser, write_results
from constellation.app.pages import PAGES
from constellation.app.serve import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TOUR = "Scatter,Word clouds"  # navigation labels, after the overview where every visit starts


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants (VmRSS from /proc), in MiB."""
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        stack.extend(int(c) for c in children)
    return round(total, 1)


def start_site(data_dir: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = Path(f"/tmp/site-browser-{port}.log")
    cmd = [sys.executable, "-m", "constellation", "app", "--data-dir", str(data_dir), "--port", str(port), "--headless"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return proc, url, log
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no answer from /_stcore/health within 120 s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def stop_site(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)  # the CLI and its `streamlit run` child
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _settle(page: Any, timeout: float = 300_000) -> None:
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(300)  # a rerun may start right after (query params written back)
    page.wait_for_selector(IDLE, timeout=timeout)


def visit(browser: Any, url: str, tour: list[str]) -> tuple[Any, float]:
    """One visitor: a new browser context (a new Streamlit session) that opens the site and tours the pages.
    Returns the context (left open: the session stays alive) and the seconds the tour took."""
    t0 = time.perf_counter()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    _settle(page)
    for label in tour:
        page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
        _settle(page)
    return context, round(time.perf_counter() - t0, 2)


def measure(data_dir: Path, sessions: int, tour: list[str]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    proc, url, log = start_site(data_dir)
    out: dict[str, Any] = {"data_dir": str(data_dir), "sessions": sessions, "tour": tour}
    try:
        out["rss_idle_mb"] = tree_rss_mb(proc.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                first, out["first_visit_s"] = visit(browser, url, tour)
                time.sleep(2)
                out["rss_one_visitor_mb"] = tree_rss_mb(proc.pid)
                contexts, seconds = [first], []
                # Playwright's sync API is bound to its thread: visitors open one after another, each
                # session left open, so all of them are alive at the end.
                for _ in range(sessions - 1):
                    context, took = visit(browser, url, tour)
                    contexts.append(context)
                    seconds.append(took)
                time.sleep(2)
                out["rss_all_visitors_mb"] = tree_rss_mb(proc.pid)
                out["later_visit_s_avg"] = round(sum(seconds) / len(seconds), 2) if seconds else None
                out["ratio"] = round(out["rss_all_visitors_mb"] / out["rss_one_visitor_mb"], 2)
                for context in contexts:
                    context.close()
            finally:
                browser.close()
    finally:
        stop_site(proc)
        out["server_log"] = str(log)
    return out


def main(argv: list[str]) -> dict[str, Any]:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--data-dir", type=Path, required=True, help="a data dir with an atlas (atlas/LATEST)")
    p.add_argument("--sessions", type=int, default=20, help="visitors at once (default 20)")
    p.add_argument("--tour", default=TOUR, help=f"comma-separated navigation labels (default {TOUR})")
    args = p.parse_args(argv)
    labels = {page.title for page in PAGES}
    tour = [t.strip() for t in args.tour.split(",") if t.strip()]
    unknown = [t for t in tour if t not in labels]
    if unknown:
        raise SystemExit(f"unknown pages {unknown}; choose among {sorted(labels)}")
    results = {"benchmark": "site memory with many visitors", **measure(args.data_dir, max(1, args.sessions), tour)}
    write_results(args.out, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
