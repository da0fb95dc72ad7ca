"""A job's page of the explorer in Debian's Chromium, driven by Playwright
(app-tests/tests/jobs.rs runs it once the indexer shows the job settled).

Usage: job.py BASE_URL OUT_DIR JOB_JSON

JOB_JSON is the indexer's answer for the job (`/v1/jobs/{address}`). The page must show its
status, its agreed result, and each worker's outcome, with no console or page error; a
screenshot goes to OUT_DIR/job.png. Prints one line saying what was shown.
"""

import json
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from chromium import launch, watched_page

BASE, OUT, JOB = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
WAIT_MS = 30_000


def main():
    problems = []
    with sync_playwright() as p:
        browser = launch(p)
        page = watched_page(browser, problems, viewport={"width": 1280, "height": 900})
        page.goto(f"{BASE}/#/job/{JOB['address']}")
        expect(page.locator("main#view")).not_to_have_attribute("aria-busy", "true", timeout=WAIT_MS)
        expect(page.locator("dl.fields .badge").first).to_have_text(JOB["status"])
        if JOB.get("result_hash"):
            expect(page.get_by_text(JOB["result_hash"], exact=True)).to_be_visible()
        for worker in JOB["results"]:
            row = page.locator(f'tr[data-worker="{worker["worker"]}"]')
            expect(row).to_have_count(1)
            if worker.get("outcome"):
                expect(row.locator(".badge")).to_have_text(worker["outcome"])
        # White text on no colour would be there and unreadable: every badge has a colour.
        bare = page.eval_on_selector_all(
            ".badge", "bs => bs.filter(b => getComputedStyle(b).backgroundColor === 'rgba(0, 0, 0, 0)').map(b => b.textContent)"
        )
        if bare:
            problems.append(f"badges without a colour: {bare}")
        page.screenshot(path=str(OUT / "job.png"), full_page=True)
        browser.close()
    if problems:
        raise SystemExit("\n".join(problems))
    print(f"{JOB['status']} with {len(JOB['results'])} workers' outcomes shown")


main()
