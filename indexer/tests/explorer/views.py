"""Drives the explorer in Debian's Chromium with Playwright (indexer/tests/explorer.rs runs it).

Usage: views.py BASE_URL OUT_DIR EXPECTED_JSON

EXPECTED_JSON names what the populated index holds: "providers" (their API rows), "blob"
(an address), "cid" (its CID), "owner" (its wallet), "holders" (its placements' holders),
"job" (an address) and "job_status". Each view is opened by its own URL, checked against it, and photographed into
OUT_DIR (desktop and phone sizes); the live feed must show an event written after it opened
(the test writes one when OUT_DIR/feed-open appears). Any console error or uncaught page
error fails the run. Prints one JSON line of what was checked.
"""

import json
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from chromium import launch, watched_page

BASE, OUT, EXPECTED = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
WAIT_MS = 30_000

problems = []
checked = []


def shoot(page, name):
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    # White text on no colour would be there and unreadable: every badge has a colour.
    bare = page.eval_on_selector_all(
        ".badge",
        "bs => bs.filter(b => getComputedStyle(b).backgroundColor === 'rgba(0, 0, 0, 0)')"
        ".map(b => b.textContent)",
    )
    if bare:
        problems.append(f"{name}: badges without a colour: {bare}")
    # A phone-sized page may scroll down, never sideways: wide tables scroll in their box.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        problems.append(f"{name}: the page is {overflow}px wider than the window")


def open_view(page, hash_path):
    page.goto(f"{BASE}/#{hash_path}")
    expect(page.locator("main#view")).not_to_have_attribute("aria-busy", "true", timeout=WAIT_MS)
    expect(page.locator("#problem")).to_be_hidden()


def network(page, size):
    open_view(page, "/network")
    for p in EXPECTED["providers"]:
        row = page.locator(f'tr[data-provider="{p["authority"]}"]')
        expect(row).to_have_count(1)
        expect(row.locator('td[data-field="shards"]')).to_have_text(str(p["shards_held"]))
        expect(row.locator('td[data-field="proofs"]')).to_have_text(
            f'{p["proofs_accepted"]} / {p["proofs_missed"]}'
        )
        # Amounts are shown whole, thousands apart by a space.
        expect(row.locator('td[data-field="earned"]')).to_have_text(f'{int(p["earned"]):,}'.replace(",", " "))
    # The charts: stored bytes, proofs per epoch, payouts, each drawn on a canvas.
    for title in ["Stored bytes", "Proofs per epoch", "Payouts"]:
        expect(page.locator(f'figure[data-chart="{title}"] canvas')).to_have_count(1)
    shoot(page, f"network-{size}")
    checked.append(f"network ({size}): {len(EXPECTED['providers'])} providers")


def blob(page, size):
    open_view(page, f"/blob/{EXPECTED['blob']}")
    rows = page.locator("tr[data-shard]")
    expect(rows).to_have_count(len(EXPECTED["holders"]))
    for holder in set(EXPECTED["holders"]):
        expect(page.locator(f'tr[data-holder="{holder}"]').first).to_be_visible()
    expect(page.get_by_text(EXPECTED["cid"], exact=True)).to_be_visible()
    # Its history: registered, each shard placed and accepted, activated (proofs are in the grid).
    expect(page.locator('tr[data-kind="ShardPlaced"]')).to_have_count(len(EXPECTED["holders"]))
    expect(page.locator('tr[data-kind="BlobRegistered"]')).to_have_count(1)
    # Served without a wallet endpoint: no wallet button, no actions to offer.
    expect(page.locator("#wallet")).to_be_hidden()
    expect(page.locator("#manage")).to_have_count(0)
    shoot(page, f"blob-{size}")
    checked.append(f"blob ({size}): {len(EXPECTED['holders'])} placements")


def jobs(page, size):
    open_view(page, "/jobs")
    expect(page.locator(f'tr[data-job="{EXPECTED["job"]}"]')).to_have_count(1)
    shoot(page, f"jobs-{size}")
    open_view(page, f"/job/{EXPECTED['job']}")
    expect(page.locator("dl.fields .badge").first).to_have_text(EXPECTED["job_status"])
    expect(page.locator('tr[data-kind="JobFinalized"]')).to_have_count(1)
    shoot(page, f"job-{size}")
    checked.append(f"job ({size}): {EXPECTED['job_status']}")


def blobs(page, size):
    open_view(page, "/blobs")
    expect(page.locator(f'tr[data-blob="{EXPECTED["blob"]}"]')).to_have_count(1)
    shoot(page, f"blobs-{size}")
    checked.append(f"blobs ({size})")


def search_for(page, term):
    page.get_by_role("searchbox").fill(term)
    page.get_by_role("button", name="Search").click()


def search(page, size):
    open_view(page, "/network")
    search_for(page, EXPECTED["cid"])
    expect(page).to_have_url(f"{BASE}/#/blob/{EXPECTED['blob']}", timeout=WAIT_MS)
    expect(page.locator("tr[data-shard]")).to_have_count(len(EXPECTED["holders"]))
    search_for(page, EXPECTED["job"])
    expect(page).to_have_url(f"{BASE}/#/job/{EXPECTED['job']}", timeout=WAIT_MS)
    search_for(page, EXPECTED["owner"])
    expect(page).to_have_url(f"{BASE}/#/blobs?owner={EXPECTED['owner']}", timeout=WAIT_MS)
    expect(page.locator(f'tr[data-blob="{EXPECTED["blob"]}"]')).to_have_count(1)
    # Not a key of anything, and not even an address: an answer, not an error.
    for term in ["11111111111111111111111111111111", "no such thing"]:
        search_for(page, term)
        expect(page.get_by_text("Nothing on the network has that CID or address.")).to_be_visible(
            timeout=WAIT_MS
        )
    checked.append(f"search ({size}): a CID, a job and a wallet lead to their views; nothing named is said")


def feed(page, size):
    open_view(page, "/feed")
    rows = page.locator("tr[data-event]")
    expect(rows.first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Live:")).to_be_visible(timeout=WAIT_MS)
    newest = max(int(i) for i in rows.evaluate_all("rs => rs.map(r => r.dataset.event)"))
    if size == "desktop":
        # The test writes a new event now; it must arrive without a reload.
        (OUT / "feed-open").write_text(str(newest))
        expect(page.locator(f'tr[data-event="{newest + 1}"]')).to_be_visible(timeout=WAIT_MS)
        checked.append("feed: an event written after the page opened arrived without a reload")
    shoot(page, f"feed-{size}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        for size, viewport in SIZES.items():
            page = watched_page(browser, problems, viewport=viewport)
            for step in (network, blobs, blob, jobs, search, feed):
                step(page, size)
            page.close()
        browser.close()
    if problems:
        raise SystemExit("\n".join(problems))
    print(json.dumps({"checked": checked}))


main()
