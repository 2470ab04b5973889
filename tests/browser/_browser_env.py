"""What the browser tests need, and a Chromium that cannot reach outside this machine.

The tests drive a real Chromium through Selenium. Three things must be present: Debian's
``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``, ``/usr/bin/chromedriver``, or the
paths in ``MIXEDLAB_CHROMIUM`` / ``MIXEDLAB_CHROMEDRIVER``), and the ``browser`` extra
(selenium, jupyterlab, notebook). :func:`missing` says what is absent; :func:`must_run`
decides whether an absence is a failure (CI) or a skip (a laptop without a browser).

:func:`chromium_options` builds the offline, isolated Chromium of BROWSER.md: a private
profile, no background services, and host resolution limited to 127.0.0.1 so that even
Chromium's own lookups (component updates, safe browsing, autofill) go nowhere.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

__all__ = ["INSTALL_HINT", "chromium_paths", "missing", "must_run", "chromium_options", "new_driver"]

INSTALL_HINT = (
    "Install them with: apt-get install --no-install-recommends chromium chromium-driver "
    "fonts-dejavu-core  and  pip install -e '.[browser]'  (bash .ci/setup does both)"
)

# Python distributions the browser tests import or start (the `browser` and `lessons` extras).
_MODULES = {"selenium": "selenium", "jupyterlab": "jupyterlab", "notebook": "notebook",
            "ipywidgets": "ipywidgets", "ipykernel": "ipykernel"}


def chromium_paths() -> tuple[str | None, str | None]:
    """(chromium, chromedriver) executables, or None for a missing one.

    Selenium is always given explicit paths: without them Selenium Manager tries to
    download a driver, which must not happen here (no outside network).
    """
    return _find("MIXEDLAB_CHROMIUM", "chromium"), _find("MIXEDLAB_CHROMEDRIVER", "chromedriver")


def _find(variable: str, name: str) -> str | None:
    """The executable named by ``variable`` if set (None if it is not executable), else ``name``."""
    chosen = os.environ.get(variable)
    if chosen:
        return _exe(chosen)
    return shutil.which(name) or _exe(f"/usr/bin/{name}")


def _exe(path: str) -> str | None:
    return path if os.access(path, os.X_OK) else None


def missing() -> list[str]:
    """Names of the missing pieces (empty when the browser tests can run)."""
    browser, driver = chromium_paths()
    absent = [] if browser else ["chromium"]
    absent += [] if driver else ["chromedriver (Debian package chromium-driver)"]
    absent += [name for name, mod in _MODULES.items() if importlib.util.find_spec(mod) is None]
    return absent


def must_run() -> bool:
    """Whether a missing browser is a failure rather than a skip.

    ``MIXEDLAB_REQUIRE_BROWSER=1`` requires the browser, ``=0`` allows skipping; when it is
    unset the browser is required wherever R is (``MIXEDLAB_REQUIRE_R=1``, as ``.ci/run``
    sets) and on CI machines (``CI=true``).
    """
    explicit = os.environ.get("MIXEDLAB_REQUIRE_BROWSER")
    if explicit in ("0", "1"):
        return explicit == "1"
    return os.environ.get("MIXEDLAB_REQUIRE_R") == "1" or os.environ.get("CI", "").lower() == "true"


# Chromium switches for a quiet, offline, isolated browser (BROWSER.md, pitfalls 1, 10).
_OFFLINE_SWITCHES = (
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-sync",
    "--disable-translate",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--no-pings",
    "--safebrowsing-disable-auto-update",
    "--password-store=basic",
    "--use-mock-keychain",
    # Every host name resolves to nothing except the Jupyter server's address ...
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    # ... and anything addressed by number goes to a closed local port (Chromium bypasses
    # the proxy for loopback addresses by itself, so the Jupyter server stays reachable).
    "--proxy-server=http://127.0.0.1:9",
    "--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter,"
    "Translate,InterestFeedContentSuggestions,CalculateNativeWinOcclusion,DialMediaRouteProvider",
    "--window-size=1400,1000",
    "--force-device-scale-factor=1",
    "--lang=en-US",
)


def chromium_options(profile_dir: Path):
    """Selenium ChromeOptions for the offline Chromium, with its profile in ``profile_dir``."""
    from selenium.webdriver.chrome.options import Options

    browser, _ = chromium_paths()
    options = Options()
    options.binary_location = browser
    for switch in _OFFLINE_SWITCHES:
        options.add_argument(switch)
    options.add_argument(f"--user-data-dir={profile_dir}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to start as root with its sandbox
    return options


def new_driver(profile_dir: Path, log_path: Path):
    """A started headless Chromium (a Selenium WebDriver) with a private profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    _, driver = chromium_paths()
    profile_dir.mkdir(parents=True, exist_ok=True)
    service = Service(executable_path=driver, log_output=str(log_path))
    drv = webdriver.Chrome(service=service, options=chromium_options(profile_dir))
    drv.set_page_load_timeout(180)
    drv.set_script_timeout(60)
    return drv
