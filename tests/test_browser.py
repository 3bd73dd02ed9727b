"""The gallery page in a real browser: Debian's headless chromium driven by selenium.

At 1280 px (a desktop) and 390 px (a phone): every image loads, nothing
overflows sideways on the phone, each embed snippet is the image shown, and
the dark colour scheme darkens the page. Skipped where chromium is absent;
``.ci/run`` installs it with apt-get. Set CLUSTERGIF_SCREENSHOTS to a folder
to keep the screenshots.
"""

import os
import shutil
from pathlib import Path

import pytest

from animate.cli import main

from helpers import tiny_scene

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
    "chromium-driver); .ci/run installs them",
)

LONG = "a-very-long-unbroken-word-" * 6


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gallery")
    scenes = folder / "scenes"
    tiny_scene(scenes, "a", "Tiny k-means", "Three clouds.")
    tiny_scene(scenes, "b", f"Moons {LONG}", f"Long words: {LONG}", dataset="moons")
    wide = tiny_scene(scenes, "c", "A wide one", "Wider than a phone.", n=80)
    # Top-level keys come before the first table.
    text = wide.read_text().replace("size = [240, 200]", "size = [720, 300]")
    wide.write_text('formats = ["webp"]\n' + text)
    tiny_scene(scenes, "d", "Below the fold", "Lazy.", n=50)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        assert main(["-q", "-j", "1"]) == 0
    finally:
        os.chdir(cwd)
    return folder / "output" / "index.html"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="the test extra has selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def _open(driver, page, width, dark=False):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
    driver.get(page.as_uri())


def _load_every_image(driver):
    """Scroll each (lazy) image into view and wait until it has decoded."""
    from selenium.webdriver.support.ui import WebDriverWait

    count = driver.execute_script("return document.images.length")
    for i in range(count):
        driver.execute_script("document.images[arguments[0]].scrollIntoView()", i)
        WebDriverWait(driver, 20).until(
            lambda d, i=i: d.execute_script(
                "const im = document.images[arguments[0]]; return im.complete", i
            )
        )
    return driver.execute_script("return [...document.images].map(im => im.naturalWidth)")


def _screenshot(driver, name):
    folder = os.environ.get("CLUSTERGIF_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(str(Path(folder) / name))


@pytest.mark.parametrize("width", [1280, 390])
def test_every_image_loads_and_nothing_overflows(browser, gallery, width):
    _open(browser, gallery, width)
    assert browser.execute_script("return window.innerWidth") == width
    widths = _load_every_image(browser)
    assert len(widths) == 4 and all(w > 0 for w in widths)
    overflow = browser.execute_script(
        "const root = document.documentElement; return root.scrollWidth - root.clientWidth"
    )
    assert overflow <= 0
    wider = browser.execute_script(
        "return [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)"
        ".map(e => e.tagName)"
    )
    assert wider == []
    _screenshot(browser, f"gallery-{width}.png")


@pytest.mark.parametrize("width", [1280, 390])
def test_each_snippet_is_the_image_shown(browser, gallery, width):
    _open(browser, gallery, width)
    same = browser.execute_script(
        """
        return [...document.querySelectorAll("article")].map(article => {
            const shown = article.querySelector(":scope > img");
            const snippet = [...article.querySelectorAll("code")]
                .map(code => code.textContent).find(text => text.startsWith("<img"));
            const pasted = document.createElement("template");
            pasted.innerHTML = snippet;
            return pasted.content.childNodes.length === 1
                && pasted.content.firstChild.isEqualNode(shown);
        });
        """
    )
    assert same == [True, True, True, True]
    buttons = browser.execute_script("return document.querySelectorAll('button.copy').length")
    assert buttons == 8  # the script added one per snippet


def test_contents_links_reach_every_entry_and_other_formats_load(browser, gallery):
    _open(browser, gallery, 1280)
    targets = browser.execute_script(
        "return [...document.querySelectorAll('nav a')]"
        ".map(a => document.getElementById(a.hash.slice(1)) !== null)"
    )
    assert targets == [True] * 4
    webp = browser.execute_script(
        "return [...document.querySelectorAll('a')].filter(a => a.textContent === 'WebP')"
        ".map(a => a.getAttribute('href'))"
    )
    assert webp == ["c.webp"] and (gallery.parent / "c.webp").exists()


def test_dark_colour_scheme_darkens_the_page(browser, gallery):
    def background():
        return browser.execute_script("return getComputedStyle(document.body).backgroundColor")

    _open(browser, gallery, 390, dark=True)
    dark = background()
    _screenshot(browser, "gallery-390-dark.png")
    _open(browser, gallery, 390)
    assert background() == "rgb(255, 255, 255)" and dark == "rgb(18, 18, 18)"
