"""Open every page of the built book in headless Chromium and check that it reads.

For each HTML page under the site directory (default `_build/html`) the check fails on:
- any SEVERE browser console message (JavaScript errors, failed loads, 404s);
- any <img> that did not load (not `complete && naturalWidth > 0`);
- any ipywidgets view that rendered empty (a widget-view script whose output area holds no visible
  widget with content).

The browser cannot reach anything but 127.0.0.1 (every other host name resolves to nothing), so a
page that needs the internet, e.g. a CDN, fails the check. A full-page screenshot of every page is
saved. Uses Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver) and
selenium from PyPI.

    python tests/browser_check.py [--site _build/html | --url http://127.0.0.1:8000/] [--screenshots DIR]

Exit status 0 when every page passes, 1 otherwise. `tests/test_book.py` runs the same check under
pytest when Chromium and a built book are present.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)
SKIP_DIRS = ("_static", "_sources", "_images")
WIDTH = 1280

WIDGET_CHECK = """
const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
const problems = [];
let rendered = 0;
for (const s of views) {
  const area = s.parentElement;
  const roots = [...area.querySelectorAll('.jupyter-widgets')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  });
  const content = roots.some(e => (e.innerText || '').trim().length > 0 || e.querySelector('img, canvas, svg'));
  if (roots.length && content) { rendered += 1; } else {
    problems.push('empty widget area for model ' + (JSON.parse(s.textContent).model_id || '?'));
  }
}
return [views.length, rendered, problems];
"""

IMAGE_CHECK = """
return [...document.images].map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0])
                           .filter(x => !x[1]).map(x => x[0].slice(0, 120));
"""


def pages(site: Path) -> list[str]:
    """Every HTML page of the book, as paths relative to the site root (index first)."""
    found = sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not any(part in SKIP_DIRS for part in p.relative_to(site).parts)
    )
    return sorted(found, key=lambda p: (p != "index.html", p))


def serve(site: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='invtl-chromium-')}")
    options.add_argument(f"--window-size={WIDTH},1000")
    # offline: every host but 127.0.0.1 resolves to nothing
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def check_page(drv, url: str, screenshot: Path | None, timeout: float = 20.0) -> list[str]:
    """Load one page; return its problems (empty when it passes)."""
    drv.get(url)
    deadline = time.monotonic() + timeout
    while drv.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.1)
    # scroll through the page so that lazily loaded images load, then wait for widgets to render
    height = drv.execute_script("return document.documentElement.scrollHeight")
    for y in range(0, height, 800):
        drv.execute_script(f"window.scrollTo(0, {y})")
    drv.execute_script("window.scrollTo(0, 0)")
    while True:
        views, rendered, widget_problems = drv.execute_script(WIDGET_CHECK)
        if rendered == views or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    time.sleep(0.3)
    problems = list(widget_problems)
    problems += [f"image did not load: {src}" for src in drv.execute_script(IMAGE_CHECK)]
    problems += [
        f"console {e['level']}: {e['message'][:300]}" for e in drv.get_log("browser") if e["level"] == "SEVERE"
    ]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        full = min(drv.execute_script("return document.documentElement.scrollHeight"), 16000)
        drv.set_window_size(WIDTH, max(full, 800))
        time.sleep(0.3)
        drv.save_screenshot(str(screenshot))
        drv.set_window_size(WIDTH, 1000)
    return problems


def run(
    site: Path, url: str | None = None, screenshots: Path | None = None, only: list[str] | None = None, out=print
) -> dict[str, list[str]]:
    """Check every page; returns {page: problems}."""
    if not (site / "index.html").exists():
        raise FileNotFoundError(f"no built book at {site} (run `invtl book --profile smoke` first)")
    server = None
    if url is None:
        url, server = serve(site)
    url = url.rstrip("/") + "/"
    drv = driver()
    report = {}
    try:
        for page in pages(site):
            if only and page not in only:
                continue
            shot = screenshots / (page.replace("/", "__").removesuffix(".html") + ".png") if screenshots else None
            report[page] = check_page(drv, url + page, shot)
            status = "ok" if not report[page] else "FAILED"
            out(f"{status:6s} {page}")
            for p in report[page]:
                out(f"         {p}")
    finally:
        drv.quit()
        if server is not None:
            server.shutdown()
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--site", default="_build/html", help="built book directory (default _build/html)")
    ap.add_argument("--url", default=None, help="where the site is served (default: serve --site on 127.0.0.1)")
    ap.add_argument("--screenshots", default="_build/screenshots", help="folder for full-page screenshots")
    ap.add_argument("--page", action="append", default=None, help="check only this page (repeatable)")
    args = ap.parse_args(argv)
    site = Path(args.site)
    print(f"browser check of {site} ({args.url or 'served on 127.0.0.1'}), network blocked except 127.0.0.1")
    report = run(site, args.url, Path(args.screenshots) if args.screenshots else None, args.page)
    failed = [p for p, problems in report.items() if problems]
    print(f"pages checked: {', '.join(report)}")
    print(f"screenshots: {args.screenshots}")
    print(f"{len(report) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed or not report else 0


if __name__ == "__main__":
    sys.exit(main())
