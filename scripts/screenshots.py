"""Screenshots of the main pages, for the README: the demo loaded into a new database, served,
its people signed in, each page captured in chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Needs Playwright for Python (a test dependency) and a chromium on PATH.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PASSWORD = "correct horse battery staple"
BIN = Path(sys.executable).parent
INVITED = re.compile(r"^invited\s+(?P<name>.+?)\s+sign in as (?P<role>\w+): (?P<url>\S+)$")
SCORECARD = re.compile(r"^\S+\s+(?P<name>.+?)\s+scorecard: /v1/vendors/(?P<id>[^/]+)/scorecard")
RANKING = re.compile(r"Procurement (?P<ocid>\S+)\s+ranking: /v1/procurements/(?P<id>[^/]+)/")


def run(folder: Path, env: dict, *args: str) -> str:
    return subprocess.run(
        [str(BIN / "ethics-api"), *args],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str) -> None:
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the service did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ETHICS_")}
        env["ETHICS_DATABASE_URL"] = f"sqlite:///{folder / 'ethics.db'}"
        run(folder, env, "db", "upgrade")
        printed = run(folder, env, "demo").splitlines()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "ethics-api"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(base)
            vendors = {m["name"].split()[0]: m["id"] for m in map(SCORECARD.match, printed) if m}
            tenders = {m["ocid"]: m["id"] for m in map(RANKING.search, printed) if m}
            policing = tenders["ocds-demo00-policing-2026"]
            city = tenders["ocds-demo00-analytics-2026"]
            invited = [m for m in map(INVITED.match, printed) if m]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=options.chromium, args=["--no-sandbox"]
                )
                people = {}
                for found in invited:
                    page = browser.new_page(viewport={"width": 1100, "height": 900})
                    page.goto(found["url"].replace("http://127.0.0.1:8000", base))
                    page.fill("#password", PASSWORD)
                    page.fill("#confirmation", PASSWORD)
                    page.keyboard.press("Enter")
                    page.wait_for_url(f"{base}/my-work")
                    # The second evaluator has an assessment left to do: theirs is shown.
                    people[found["role"]] = (
                        page if found["role"] == "assessor" else people.get(found["role"], page)
                    )
                shots = [
                    ("assessor", "/my-work", "my-work"),
                    (
                        "assessor",
                        f"/procurements/{policing}/bidders/{vendors['Civic']}/assessment",
                        "assessment-form",
                    ),
                    ("buyer", f"/procurements/{policing}#ranking", "procurement"),
                    ("buyer", f"/vendors/{vendors['Blue']}?procurement_id={policing}", "scorecard"),
                    ("buyer", f"/procurements/{policing}/board-pack", "board-pack"),
                    (
                        "moderator",
                        f"/procurements/{tenders['ocds-demo00-analytics-2026']}/moderation",
                        "moderation",
                    ),
                ]
                # The moderator declares in the city procurement, where the evaluators disagree.
                moderator = people["moderator"]
                moderator.goto(f"{base}/procurements/{city}")
                moderator.get_by_role("radio", name=re.compile("^No")).check()
                moderator.get_by_role("button", name="Declare").click()
                moderator.wait_for_load_state()
                for role, path, name in shots:
                    page = people[role]
                    page.goto(base + path)
                    if "#" in path:  # the part of a long page named by the fragment, at the top
                        page.locator(f"#{path.split('#')[1]}").evaluate("e => e.scrollIntoView()")
                    target = options.out / f"{name}.png"
                    page.screenshot(path=str(target), full_page=False)
                    print(f"{target}  ({role}: {path})")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
