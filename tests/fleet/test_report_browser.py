"""The HTML fleet report in a real headless browser (Chromium + chromedriver, driven by Selenium): sort and filter.

Skips, saying why, only when Chromium or its driver is not installed (``.ci/run`` installs both).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Runner

from .conftest import ORG, kinds, organization

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="Chromium and chromedriver are not installed: "
                                       "apt-get install -y chromium chromium-driver (.ci/run does)")


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)
    yield driver
    driver.quit()


@pytest.fixture
def page(org: Any, run: Runner, tmp_path: Path, browser: Any) -> tuple[Any, dict[str, str]]:
    emu = org(organization(projects=12, mix={"api_off": 0.25, "unavailable": 0.25, "delete_requested": 0.1}))
    report = tmp_path / "fleet.html"
    result = run("fleet", "regions", "audit", "--organization", ORG, "--no-quotas", "--format", "html", "-o",
                 str(report))
    assert result.code == 3, result.out + result.err
    browser.get(report.as_uri())
    return browser, kinds(emu)


def _column(driver: Any, title: str) -> list[str]:
    from selenium.webdriver.common.by import By

    heads = [th.text.strip().rstrip(" ▲▼") for th in driver.find_elements(By.CSS_SELECTOR, "#projects thead th")]
    index = heads.index(title)
    return [row.find_elements(By.TAG_NAME, "td")[index].text for row in
            driver.find_elements(By.CSS_SELECTOR, "#projects tbody tr") if row.is_displayed()]


def _click_header(driver: Any, title: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f'#projects thead th[data-key="{title}"]').click()


def test_sorting_and_filtering_in_a_real_browser(page: tuple[Any, dict[str, str]]) -> None:
    """One browser for both (it takes seconds to start): first sorting, then filtering."""
    _sorting(*page)
    _filtering(*page)


def _sorting(driver: Any, _kinds: dict[str, str]) -> None:
    """Clicking a title sorts by it, numbers as numbers; clicking again reverses."""
    before = _column(driver, "project")
    _click_header(driver, "project")
    assert _column(driver, "project") == sorted(before)
    _click_header(driver, "available")
    values = [int(v) if v else -1 for v in _column(driver, "available")]
    assert values == sorted(values) and len(set(values)) > 1
    _click_header(driver, "available")
    assert [int(v) if v else -1 for v in _column(driver, "available")] == sorted(values, reverse=True)
    _click_header(driver, "project")
    assert _column(driver, "project") == sorted(before)
    _click_header(driver, "project")
    assert _column(driver, "project") == sorted(before, reverse=True)


def _filtering(driver: Any, by_kind: dict[str, str]) -> None:
    """The filter box and the status menu keep only the matching rows, and say how many."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    shown = driver.find_element(By.ID, "shown")
    assert shown.text == f"{len(by_kind)} of {len(by_kind)} shown"
    box = driver.find_element(By.ID, "filter")
    box.send_keys("fleet-0003")
    assert _column(driver, "project") == ["fleet-0003"] and shown.text == f"1 of {len(by_kind)} shown"
    box.clear()
    box.send_keys("API_DISABLED")
    assert set(_column(driver, "project")) == {p for p, k in by_kind.items() if k == "api_off"}
    box.clear()
    box.send_keys(" ")  # clear() sends no input event: type something that filters nothing
    Select(driver.find_element(By.ID, "status")).select_by_value("findings")
    findings = {p for p, k in by_kind.items() if k in {"api_off", "unavailable"}}
    assert set(_column(driver, "project")) == findings
    Select(driver.find_element(By.ID, "status")).select_by_value("skipped")
    assert set(_column(driver, "project")) == {p for p, k in by_kind.items() if k == "delete_requested"}
