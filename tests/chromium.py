"""Headless Chromium for the report tests: screenshots, and pages measured as laid
out at 1280 px (sideways overflow, overlapping plot labels)."""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from formcheck.report.html import CONTENT_SECURITY_POLICY

REQUIRE_ENV = "FORMCHECK_REQUIRE_SHARED"
SERIES_RGB = (0x1F, 0x5F, 0xBF)  # first series colour in formcheck.report.plots
WINDOW_PX = 1280


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    reason = "headless Chromium is not installed (Debian: apt-get install chromium)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 requires it")
    pytest.skip(reason)


def _chromium_command(profile: Path, *extra: str) -> list[str]:
    return [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW_PX},2000",
        *extra,
    ]


def screenshot(page: Path, png: Path, profile: Path) -> str:
    """Render ``page`` to ``png`` (1280×2000); returns Chromium's console log lines."""
    command = _chromium_command(
        profile, "--enable-logging=stderr", "--v=0", f"--screenshot={png}", page.resolve().as_uri()
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), done.stderr[-2000:]
    return "\n".join(line for line in done.stderr.splitlines() if ":CONSOLE" in line)


# Measures the page as laid out at the window's width: sideways overflow, and every
# pair of texts in one plot whose boxes (as Chromium draws them) overlap.
_MEASURE = """<script>
const doc = document.documentElement;
const overlaps = [];
document.querySelectorAll("svg.plot").forEach((svg) => {
  const texts = [...svg.querySelectorAll("text")].map((t) => [t.textContent, t.getBBox()]);
  texts.forEach(([a, p], i) => texts.slice(i + 1).forEach(([b, q]) => {
    if (p.x < q.x + q.width - 0.5 && q.x < p.x + p.width - 0.5 &&
        p.y < q.y + q.height - 0.5 && q.y < p.y + p.height - 0.5) overlaps.push([a, b]);
  }));
});
document.body.dataset.measured = JSON.stringify(
  {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, overlaps: overlaps});
</script>"""


def measure_in_chromium(page: Path, profile: Path) -> dict:
    """Lay ``page`` out at 1280 px in headless Chromium and measure it (a copy of the
    page with a measuring script appended; the report itself runs no script)."""
    probe = page.with_name(f"{page.stem}.measure.html")
    policy = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    text = page.read_text(encoding="utf-8").replace(policy, "")  # the policy stops scripts
    probe.write_text(text.replace("</body>", f"{_MEASURE}</body>"))
    command = _chromium_command(profile, "--dump-dom", probe.resolve().as_uri())
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r'data-measured="([^"]*)"', done.stdout)
    assert found, done.stderr[-2000:]
    return json.loads(html_lib.unescape(found.group(1)))


def pixels(png: Path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(png), cv2.IMREAD_COLOR)
    assert image is not None
    return image[:, :, ::-1]  # RGB
