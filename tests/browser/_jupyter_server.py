"""A private Jupyter server (JupyterLab or Notebook 7) on 127.0.0.1 for one test session.

Everything the server, its kernels and the frontends would read from or write to the
user's home lives in one temporary folder (BROWSER.md, pitfall 9): the notebook root, the
Jupyter config/data/runtime folders, the lab user settings and workspaces, IPython's
folder. The server listens on a free port with a random token, makes no outside
requests (no news, no update checks, a read-only extension manager), and the lab user
settings turn off notebook windowing (off-screen cells would be detached), the news
feed, update checks and autosave (BROWSER.md, pitfall 5).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FRONTENDS", "JupyterServer", "start_server"]

#: Frontend name -> the application module started for it (`python -m <module>`).
FRONTENDS = {"lab": "jupyterlab", "notebook": "notebook"}

# Lab user settings shared by JupyterLab and Notebook 7 (both read JUPYTERLAB_SETTINGS_DIR).
_USER_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}

# Server-side: never fetch the news feed, never ask PyPI for updates or extensions.
_SERVER_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "extension_manager": "readonly",
    },
    "ServerApp": {"open_browser": False},
}


@dataclass
class JupyterServer:
    """A running server: its base URL, token, root folder and process."""

    frontend: str
    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log_path: Path
    env: dict = field(repr=False, default_factory=dict)

    def page_url(self, notebook: str) -> str:
        """URL that opens ``notebook`` (relative to the root) in this server's frontend.

        ``reset`` makes JupyterLab ignore any saved workspace layout.
        """
        route = "lab/tree" if self.frontend == "lab" else "notebooks"
        return f"{self.url}{route}/{notebook}?token={self.token}&reset"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no server log)"

    def api(self, method: str, path: str) -> object:
        """Call the server's REST API (``path`` below ``/api/``); returns the decoded JSON."""
        req = urllib.request.Request(f"{self.url}api/{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with _NO_PROXY.open(req, timeout=60) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """End every session and its kernel (a finished page should not keep a kernel busy)."""
        for session in self.api("GET", "sessions") or []:
            self.api("DELETE", f"sessions/{session['id']}")

    def stop(self) -> None:
        """Stop the server and its kernels (its own process group)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)


# Talk to the local server directly even when the environment names an HTTP proxy.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def private_env(base: Path) -> dict[str, str]:
    """Environment for the server and its kernels with every per-user folder inside ``base``."""
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "jupyter-config",
        "JUPYTER_DATA_DIR": base / "jupyter-data",
        "JUPYTER_RUNTIME_DIR": base / "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "lab-user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "lab-workspaces",
        "IPYTHONDIR": base / "ipython",
        "MPLCONFIGDIR": base / "matplotlib",
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({k: str(v) for k, v in dirs.items()})
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("JUPYTER_PATH", None)  # only this environment's kernels and lab extensions
    _drop_r_library_path(env)
    return env


def _drop_r_library_path(env: dict[str, str]) -> None:
    """Undo rpy2's change to LD_LIBRARY_PATH for the server's processes.

    Embedding R (any earlier test that used rpy2) prepends R's library folders to this
    process's LD_LIBRARY_PATH, among them ``/usr/lib/x86_64-linux-gnu``. A Python started
    with that path may load the system's libpython instead of its own (a pyenv build then
    fails at ``import ssl`` with "undefined symbol"), so the server gets the original value.
    """
    openrlib = sys.modules.get("rpy2.rinterface_lib.openrlib")
    added = getattr(openrlib, "LD_LIBRARY_PATH", None)
    value = env.get("LD_LIBRARY_PATH")
    if not added or value is None or not value.startswith(added + ":"):
        return
    rest = value[len(added) + 1:]
    if rest:
        env["LD_LIBRARY_PATH"] = rest
    else:
        del env["LD_LIBRARY_PATH"]


def _write_settings(env: dict[str, str]) -> None:
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    for rel, value in _USER_SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=1))
    (Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.json").write_text(
        json.dumps(_SERVER_CONFIG, indent=1))


def start_server(frontend: str, base: Path, timeout: float = 180.0) -> JupyterServer:
    """Start ``frontend`` ("lab" or "notebook") with everything private under ``base``.

    Returns once the server answers its API with the token; fails at once if the process
    exits, with the end of its log.
    """
    root = base / "root"
    root.mkdir(parents=True, exist_ok=True)
    env = private_env(base)
    _write_settings(env)
    token = secrets.token_hex(24)
    port = _free_port()
    args = [sys.executable, "-m", FRONTENDS[frontend],
            "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log_path = base / f"{frontend}-server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until stopped
    proc = subprocess.Popen(args, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    server = JupyterServer(frontend, f"http://127.0.0.1:{port}/", token, root, proc, log_path, env)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the {frontend} server exited with status {proc.returncode}:\n"
                               f"{server.log_tail()}")
        try:
            req = urllib.request.Request(f"{server.url}api/status",
                                         headers={"Authorization": f"token {token}"})
            with _NO_PROXY.open(req, timeout=10) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise TimeoutError(f"the {frontend} server did not answer within {timeout:.0f} s:\n"
                               f"{server.log_tail()}")
        time.sleep(0.25)  # polling a port that is still opening; the deadline bounds it
