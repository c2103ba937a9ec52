"""The running site in a real headless Chromium (Debian's package) through Playwright.

Starts `constellation app` on a free port (the real CLI and `streamlit run`), waits for /_stcore/health,
then opens every page, searches a model and takes screenshots. Fails on any exception the page shows
and on any console error.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from constellation.app.pages import PAGES as APP_PAGES
from constellation.app.serve import free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# navigation label → the page's heading
PAGES = {page.title: page.heading for page in APP_PAGES}


def _ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("/usr/bin/chromium is missing and cannot be installed here (needs apt-get as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"installing chromium failed ({' '.join(cmd)}): {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def server(atlas_root: Path) -> Iterator[str]:
    _ensure_chromium()
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "constellation",
        "app",
        "--data-dir",
        str(atlas_root),
        "--port",
        str(port),
        "--headless",
    ]
    log = atlas_root.parent / f"streamlit-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not answer /_stcore/health within 60 s:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the CLI and its `streamlit run` child
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.console_errors = []  # type: ignore[attr-defined]
    tab.on(
        "console",
        lambda msg: msg.type == "error" and tab.console_errors.append(f"{msg.text} ({msg.location.get('url')})"),
    )
    tab.on("pageerror", lambda exc: tab.console_errors.append(f"page error: {exc}"))
    yield tab
    context.close()


def _keep_screenshots(folder: Path) -> None:
    shots = os.environ.get("CONSTELLATION_SCREENSHOTS")
    if shots:  # for a human to look at
        Path(shots).mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy(png, Path(shots) / png.name)


def _settle(page, timeout: float = 60_000) -> None:
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(300)  # a rerun may start right after (query params written back)
    page.wait_for_selector(IDLE, timeout=timeout)


def _assert_clean(page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.console_errors == [], page.console_errors


def _open(page, server: str, nav_label: str, reload: bool = True) -> None:
    """Open the page through the sidebar navigation, as a visitor does. (Opening /<page> directly also
    works, but Streamlit's front end first probes /<page>/_stcore/health and logs the 404 as a console
    error, which would hide real errors.)"""
    if reload:
        page.goto(server)
        _settle(page)
    page.locator('[data-testid="stSidebarNav"] a', has_text=nav_label).first.click()
    _settle(page)


def test_every_page_opens_without_errors(server, page, tmp_path):
    page.goto(server)
    _settle(page)
    for nav_label, title in PAGES.items():
        _open(page, server, nav_label, reload=False)
        page.locator("h1", has_text=title).first.wait_for(timeout=30_000)
        assert page.locator("text=Synthetic demo data").count() == 1, nav_label
        page.screenshot(path=str(tmp_path / f"page-{nav_label.replace(' ', '-').lower()}.png"), full_page=True)
        try:
            _assert_clean(page)
        except AssertionError as exc:
            raise AssertionError(f"on page {nav_label!r}: {exc}") from None
    _keep_screenshots(tmp_path)


def test_search_a_model_then_see_its_graph(server, page, tmp_path):
    _open(page, server, "Model search")
    box = page.get_by_label("Find a model")
    box.fill("llama-3-8b-chat")
    box.press("Enter")
    _settle(page)
    page.wait_for_selector("h2:has-text('bob-ai/Llama-3-8B-chat-1')", timeout=30_000)
    link = page.locator("a[href='https://huggingface.co/bob-ai/Llama-3-8B-chat-1']")
    assert link.count() == 1
    assert "model=bob-ai" in page.url
    page.screenshot(path=str(tmp_path / "model-page.png"), full_page=True)
    _assert_clean(page)

    page.get_by_text("See its neighbourhood graph").click()
    _settle(page)
    frame = page.frame_locator("iframe").first
    frame.locator("canvas").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "graph.png"), full_page=True)
    _assert_clean(page)
    _keep_screenshots(tmp_path)


def test_a_filter_link_is_applied(server, page):
    from playwright.sync_api import expect

    page.goto(f"{server}/?pipeline=text-to-image&min_dl=10")
    _settle(page)
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("53", timeout=30_000)
    assert "pipeline=text-to-image" in page.url and "min_dl=10" in page.url
    # The export buttons build their file when clicked: the CSV and the GraphML hold the selection.
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="CSV", exact=True).click()
    rows = Path(csv_download.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("id,") and len(rows) == 1 + 53
    with page.expect_download() as graphml_download:
        page.get_by_role("button", name="GRAPHML", exact=True).click()
    graph = nx.read_graphml(graphml_download.value.path())
    assert graph.number_of_nodes() == 53
    _assert_clean(page)
