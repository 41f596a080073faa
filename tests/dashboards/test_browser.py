"""Every page in a real browser: `streamlit run` on a free port, headless Debian chromium, a screenshot each.

Screenshots land in test-output/screenshots/ (git-ignored) so a person can look at what was tested.
"""

from __future__ import annotations

import re
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.serving import launch
from tests.business.pipeline import BusinessHome

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("business")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = settings.PROJECT_ROOT / "test-output" / "screenshots"
# url path of each page (st.Page derives it from the file name; the default page is "/")
PAGE_URLS = {"overview": "", "spend": "spend", "margin": "margin", "quality": "quality", "health": "health",
             "routing": "routing"}
EXCEPTION_TEXT = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b")
RENDER_TIMEOUT_MS = 30_000
WIDTH = 1500


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"streamlit did not answer on port {port} within {timeout_s} s")


@pytest.fixture(scope="module")
def dashboard_url(business_home: BusinessHome) -> Iterator[str]:
    """The app as a person runs it (pipelines.serving.launch), on a free port."""
    port = _free_port()
    process = launch.start(port=port, home=business_home.paths.home, quiet=True)
    try:
        _wait_until_serving(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


RENDERED = """() => !document.querySelector('[data-testid="stStatusWidget"]')
    && document.querySelectorAll('[data-testid="stVegaLiteChart"]').length > 0
    && [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('canvas, svg'))"""


def wait_for_render(page) -> None:
    """The script finished (no running indicator) and every chart has drawn itself, twice in a row.

    The running indicator shows up a moment after the first elements, so one look is not enough.
    """
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(RENDERED, timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(700)
    page.wait_for_function(RENDERED, timeout=RENDER_TIMEOUT_MS)


def full_page_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside its main section: grow the viewport to the content, then shoot."""
    height = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')]"
        ".map(e => e.scrollHeight), 800)"
    )
    page.set_viewport_size({"width": WIDTH, "height": height + 40})
    page.wait_for_timeout(300)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


@pytest.mark.parametrize("name", list(PAGE_URLS))
def test_page_renders_in_chromium_without_errors(name: str, dashboard_url: str, browser) -> None:
    page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{dashboard_url}/{PAGE_URLS[name]}")
        wait_for_render(page)
        full_page_screenshot(page, SCREENSHOTS / f"{name}.png")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        text = page.inner_text('[data-testid="stMain"]')
        assert not EXCEPTION_TEXT.search(text), EXCEPTION_TEXT.search(text).group(0)
        assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 2
        assert not errors, errors
    finally:
        page.close()


def test_a_password_protects_every_url_not_just_the_first_page(business_home: BusinessHome, browser,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("FLYWHEEL_DASHBOARD_PASSWORD", "correct horse")
    port = _free_port()
    process = launch.start(port=port, home=business_home.paths.home, quiet=True)
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    try:
        _wait_until_serving(port)
        page.goto(f"http://127.0.0.1:{port}/spend")
        page.wait_for_selector('input[type="password"]', timeout=RENDER_TIMEOUT_MS)
        assert page.locator('[data-testid="stMetric"]').count() == 0
        page.fill('input[type="password"]', "correct horse")
        # clicking blurs the field, which commits it; pressing Enter as well could submit twice
        page.get_by_role("button", name="Open the dashboards").click()
        page.wait_for_selector('[data-testid="stMetric"]', timeout=RENDER_TIMEOUT_MS)
        assert "Inference spend" in page.inner_text('[data-testid="stMain"]')
    finally:
        page.close()
        process.terminate()
        process.wait(timeout=30)
