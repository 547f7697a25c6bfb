"""Playwright driving Debian's Chromium (found by `make test`, passed as CELLPASS_CHROMIUM) against
the live test server. A screenshot of the page is saved under test-artifacts/ when a test fails."""
import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("CELLPASS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium not found: run the tests with `make test`, which installs it.")
    return path


@pytest.fixture(scope="session")
def browser():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    env = dict(os.environ)
    if os.environ.get("CELLPASS_CHROMIUM_LD_LIBRARY_PATH"):
        env["LD_LIBRARY_PATH"] = os.environ["CELLPASS_CHROMIUM_LD_LIBRARY_PATH"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, env=env)
        yield browser
        browser.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def site(live_server, committed):
    """URLs of the live server: site.public('/path'), site.org('alpha', '/path')."""
    port = live_server.url.rsplit(":", 1)[1]

    class Site:
        organisations = committed

        @staticmethod
        def public(path: str = "/") -> str:
            return f"http://localhost:{port}{path}"

        @staticmethod
        def org(slug: str, path: str = "/") -> str:
            return f"http://{slug}.localhost:{port}{path}"

    return Site
