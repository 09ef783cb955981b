"""Headless Chromium for the browser tests (tests/http/test_browser_*.py).

Debian's chromium driven through /usr/bin/chromedriver by python3-selenium.
One browser serves the whole pytest session (starting Chromium is the slow
part); every test gets it back with no cookies and no site storage, its
console log drained, and leaves a screenshot in tests/out/screenshots/.

The machine has no network beyond loopback and nothing may load from
elsewhere: Chromium runs with its background traffic switched off, and the
pages under test must be fully self-contained (the tests fail on any SEVERE
console entry, which is also what a blocked or failed load produces).

Test modules import the fixtures they use:

    from browser import browser, page   # noqa: F401 (pytest fixtures)
"""

import base64
import os
import pathlib
import re
import shutil
import sys
import tempfile
import time

import pytest

import ghtest

try:
    from selenium.webdriver.common.by import By
except ImportError:         # the `browser` fixture then fails with apt's line
    class By:
        ID, XPATH, CSS_SELECTOR, NAME = "id", "xpath", "css selector", "name"
        TAG_NAME, LINK_TEXT = "tag name", "link text"

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
APT_LINE = ("apt-get install -y --no-install-recommends "
            "python3-selenium chromium-driver")

SCREENSHOT_DIR = ghtest.REPO / "tests" / "out" / "screenshots"

# Every explicit wait is bounded; a sanitized server is a few times slower.
WAIT = 20.0 * ghtest.SLOW

CHROMIUM_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu",
    "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
    # the same page size for every run (and the README screenshots)
    "--window-size=1280,900", "--hide-scrollbars",
    "--lang=en-US",
)


def _missing():
    """What is missing for the browser tests ([] when all is there)."""
    out = []
    try:
        import selenium  # noqa: F401
    except ImportError:
        out.append("python3-selenium (no `selenium` module for "
                   f"{sys.executable})")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            out.append(path)
    return out


class Browser:
    """The session's Chromium: the WebDriver plus its temporary profile."""

    def __init__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.origins = ()       # whose storage reset() clears
        self.profile = tempfile.mkdtemp(prefix="gh-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in CHROMIUM_ARGS:
            opts.add_argument(a)
        opts.add_argument("--user-data-dir=" + self.profile)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.log_path = os.path.join(self.profile, "chromedriver.log")
        service = Service(CHROMEDRIVER, log_path=self.log_path)
        t0 = time.monotonic()
        try:
            self.driver = webdriver.Chrome(service=service, options=opts)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.start_seconds = time.monotonic() - t0
        self.driver.set_page_load_timeout(WAIT)
        self.driver.set_script_timeout(WAIT)

    def reset(self):
        """No cookies, no site storage, an empty console log."""
        d = self.driver
        d.get("about:blank")
        d.execute_cdp_cmd("Network.clearBrowserCookies", {})
        d.execute_cdp_cmd("Network.clearBrowserCache", {})
        for origin in self.origins:
            d.execute_cdp_cmd("Storage.clearDataForOrigin",
                              {"origin": origin, "storageTypes": "all"})
        d.get_log("browser")

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


_shared = {}


def shared_browser():
    """The one Chromium of the session, started on first use."""
    if "b" not in _shared:
        missing = _missing()
        if missing:
            pytest.fail("the browser tests need " + ", ".join(missing)
                        + "; install them as root with:\n  apt-get update && "
                        + APT_LINE + "\n(`make test` does this through "
                        "scripts/deps.sh)", pytrace=False)
        _shared["b"] = Browser()
    return _shared["b"]


def quit_shared_browser():
    b = _shared.pop("b", None)
    if b is not None:
        b.quit()


@pytest.fixture(scope="session")
def browser(server):
    """The session's headless Chromium (one for every browser test module:
    each module imports this fixture, all of them share the instance)."""
    b = shared_browser()
    b.origins = (server.url.rstrip("/"),)
    yield b
    quit_shared_browser()   # the first module's teardown quits it, at the end


class Page:
    """A test's view of the browser: URL helpers, bounded waits, the
    console log of the pages visited."""

    def __init__(self, browser, base_url, name):
        self.browser = browser
        self.driver = browser.driver
        self.base = base_url.rstrip("/")
        self.name = name
        self.log = []           # every console entry since the test began

    # -- navigation

    def url(self, path):
        return self.base + path

    def open(self, path):
        self.driver.get(self.url(path))
        self.wait_ready()
        return self

    def wait_ready(self):
        self.wait(lambda d: d.execute_script(
            "return document.readyState") == "complete", "document ready")

    # -- waits (explicit, bounded; never sleeps)

    def wait(self, cond, what, timeout=WAIT):
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(self.driver, timeout).until(cond)
        except TimeoutException:
            raise AssertionError(
                f"timed out after {timeout:.0f}s waiting for {what} on "
                f"{self.driver.current_url}\nconsole: {self.console()}")

    def visible(self, by, sel, timeout=WAIT):
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.visibility_of_element_located((by, sel)),
                         f"visible {sel}", timeout)

    def clickable(self, by, sel, timeout=WAIT):
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.element_to_be_clickable((by, sel)),
                         f"clickable {sel}", timeout)

    def gone(self, by, sel, timeout=WAIT):
        from selenium.webdriver.support import expected_conditions as EC
        return self.wait(EC.invisibility_of_element_located((by, sel)),
                         f"{sel} to disappear", timeout)

    def click(self, by, sel, timeout=WAIT):
        el = self.clickable(by, sel, timeout)
        self.driver.execute_script(
            "arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()
        return el

    def fill(self, by, sel, text):
        el = self.visible(by, sel)
        el.clear()
        el.send_keys(text)
        return el

    # -- console

    def console(self):
        """Every console entry so far (the driver hands out each once)."""
        self.log.extend(self.driver.get_log("browser"))
        return self.log

    def severe(self, allow=()):
        """SEVERE console entries, minus those matching a pattern in allow."""
        return [e for e in self.console() if e.get("level") == "SEVERE"
                and not any(re.search(p, e.get("message", "")) for p in allow)]

    def assert_clean_console(self, allow=()):
        bad = self.severe(allow)
        assert not bad, "console errors:\n" + "\n".join(
            f"  {e.get('source')}: {e.get('message')}" for e in bad)

    # -- output

    def screenshot(self, name=None, full_page=False, between=None):
        """Save tests/out/screenshots/<name or the test's name>.png: the
        viewport, the whole page, or the page's full width from the top of
        element between[0] to the bottom of element between[1]."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name or self.name}.png"
        if not full_page and between is None:
            self.driver.save_screenshot(str(path))
            return path
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = size.get("cssContentSize") or size["contentSize"]
        top, bottom = 0, size["height"]
        if between is not None:
            top, bottom = self.driver.execute_script(
                "var a = arguments[0].getBoundingClientRect(),"
                "    b = arguments[1].getBoundingClientRect();"
                "return [a.top + window.scrollY, b.bottom + window.scrollY];",
                *between)
            top, bottom = max(0, top - 8), min(size["height"], bottom + 8)
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": top, "width": size["width"],
                     "height": bottom - top, "scale": 1}})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


def _test_name(request):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")


@pytest.fixture
def page(request, browser, server):
    """A clean browser (no cookies, no storage) for one test; its screenshot
    is saved at the end, pass or fail, as tests/out/screenshots/<test>.png."""
    browser.reset()
    p = Page(browser, server.url, _test_name(request))
    yield p
    try:
        p.screenshot()
    except Exception as e:          # a dead browser must not hide the failure
        print(f"screenshot of {p.name} failed: {e}")


def http_status(url, path):
    """Status of a plain GET (to skip a test whose page is not there yet)."""
    c = ghtest.Client(url)
    try:
        return c.get(path).status_code
    finally:
        c.close()


def repo_path(*parts):
    return pathlib.Path(ghtest.REPO, *parts)
