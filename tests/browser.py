"""A real browser for the tests: headless Chromium driven over the DevTools protocol.

``Browser()`` starts ``chromium`` with a fresh profile and opens one page; ``open(path)`` loads a
file, ``click(selector)`` presses the mouse on an element's centre, ``key(name)`` types a key,
``js(expression)`` reads something from the page and ``screenshot(path)`` saves a PNG. Only what
a person does: the page is driven by mouse and keyboard events, not by calling its script.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0"]
KEY_CODES = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35, " ": 32}


class Browser:
    """One headless Chromium with one page (see the module docstring)."""

    def __init__(self, width: int = 1100, height: int = 760, timeout: float = 20.0) -> None:
        import websocket  # the websocket-client package (a dev dependency)

        if CHROMIUM is None:
            raise RuntimeError("chromium is not installed")
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        self.log = open(Path(self.profile) / "stderr.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start its DevTools server")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout,
                                              suppress_origin=True)
        self._id = 0
        self.call("Emulation.setDeviceMetricsOverride",
                  width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method: str, **params: Any) -> dict:
        """Send one DevTools command and return its result."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, condition: str, timeout: float = 10.0) -> None:
        """Wait until the JavaScript expression ``condition`` is true in the page."""
        deadline = time.monotonic() + timeout
        while not self.js(f"!!({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout:g} s: {condition}")
            time.sleep(0.05)

    def open(self, path: Path, ready: str = "document.body && document.body.dataset.ready",
             timeout: float = 10.0) -> None:
        """Load a file and wait until ``ready`` is true in it."""
        self.call("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait(ready, timeout)

    def click(self, selector: str) -> None:
        """Press and release the left mouse button on the centre of the element."""
        box = self.js(f"(function () {{ var r = document.querySelector({json.dumps(selector)})"
                      ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];"
                      "})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)

    def key(self, key: str) -> None:
        """Press and release a key (``ArrowRight``, ``ArrowLeft``, ``Home``, ``End``, ``" "``)."""
        code = KEY_CODES[key]
        name = "Space" if key == " " else key
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key=key, code=name,
                      windowsVirtualKeyCode=code, nativeVirtualKeyCode=code)

    def screenshot(self, path: Path) -> Path:
        """Save what the page shows as a PNG."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
