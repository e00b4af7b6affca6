"""A real headless Chromium driven over the DevTools protocol, for the HTML report's tests.

The browser is started by the test (Debian's ``chromium``, installed by ``.ci/run``); the page is
opened from a file; every console message, uncaught exception, log entry and network request the
page makes is collected; the page is measured and captured to PNG.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import tempfile
import time
from base64 import b64decode
from dataclasses import dataclass, field
from pathlib import Path

import websocket


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("no Chromium on PATH: .ci/run installs Debian's chromium package")


@dataclass
class Visit:
    console: list[dict] = field(default_factory=list)     # console calls, exceptions, log entries (level, text)
    requests: list[str] = field(default_factory=list)     # every URL the page asked for
    charts: list[dict] = field(default_factory=list)      # each chart's box (CSS pixels), accessible name, text outside it
    screenshot: bytes = b""                               # the whole page, PNG
    width: int = 0                                        # the page's scroll width
    height: int = 0
    headings: list[str] = field(default_factory=list)


class Browser:
    """One headless Chromium for a test session."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="listclean-chromium-")
        self.process = subprocess.Popen(
            [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--hide-scrollbars", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
             f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.socket = websocket.create_connection(self._endpoint(), timeout=60, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def _endpoint(self, timeout: float = 60) -> str:
        # Chromium writes the chosen port to DevToolsActivePort in its profile folder.
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_file.exists() and len(lines := port_file.read_text().splitlines()) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.process.returncode}")
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools port")

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        number = next(self.ids)
        message = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(self.socket.recv())
            if reply.get("id") == number:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(json.loads(self.socket.recv()))

    def visit(self, page: Path, width: int = 1100, height: int = 900, mobile: bool = False) -> Visit:
        """Open ``page`` at that viewport; return what the page did and a full-page screenshot."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.events = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": mobile}, session)
        self.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
        self.wait_for("Page.loadEventFired", session)
        measured = json.loads(self.call("Runtime.evaluate", {"returnByValue": True, "expression": """
            JSON.stringify({
              charts: [...document.querySelectorAll('svg.chart')].map(svg => {
                const box = svg.getBoundingClientRect();
                const title = svg.querySelector('title');
                const view = svg.viewBox.baseVal;
                const outside = [...svg.querySelectorAll('text')].filter(text => {
                  const b = text.getBBox();
                  return b.x < -0.5 || b.y < -0.5 || b.x + b.width > view.width + 0.5 || b.y + b.height > view.height + 0.5;
                }).map(text => text.textContent);
                return {x: box.x + scrollX, y: box.y + scrollY, width: box.width, height: box.height,
                        title: title ? title.textContent : '', labelled: svg.getAttribute('aria-labelledby') || '',
                        outside: outside};
              }),
              width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
              headings: [...document.querySelectorAll('h1, h2')].map(h => h.textContent)})"""},
            session)["result"]["value"])
        shot = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session)
        visit = Visit(charts=measured["charts"], width=measured["width"], height=measured["height"],
                      headings=measured["headings"], screenshot=b64decode(shot["data"]))
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                visit.console.append({"level": params["type"], "text": " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", []))})
            elif method == "Runtime.exceptionThrown":
                visit.console.append({"level": "exception", "text": params["exceptionDetails"].get("text", "")})
            elif method == "Log.entryAdded":
                visit.console.append({"level": params["entry"]["level"], "text": params["entry"]["text"]})
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
        self.call("Target.closeTarget", {"targetId": target})
        return visit

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            shutil.rmtree(self.profile, ignore_errors=True)
