"""The explorer against a running local network, in Debian's Chromium driven by Playwright
(app-tests/tests/explorer.rs runs it and acts on the network between its steps).

Usage: live.py BASE_URL OUT_DIR NODES_JSON

NODES_JSON lists the nodes' provider authorities. The steps, each handed over by a file in
OUT_DIR: the feed is open (`feed-open`) -> the test stores a blob and writes `put.json`
({"blob", "holders"}) -> its registration must arrive in the open feed without a reload, and
its page must show its placement on those holders -> every node reads `online` on the
network view (`network-seen`) -> the test kills the first node and writes `killed` -> that
node must turn `warning` or `offline`. Any console error or uncaught page error fails the
run. Screenshots of each step go to OUT_DIR. Prints one JSON line of what was seen.
"""

import json
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from chromium import launch, watched_page

BASE, OUT, NODES = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
WAIT_MS = 60_000
problems = []
seen = []


def handed(name, timeout_s=300):
    """The content of OUT_DIR/name once the test has written it."""
    path = OUT / name
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"the test never wrote {name}")
        time.sleep(0.2)
    return path.read_text()


def open_view(page, hash_path):
    url = f"{BASE}/#{hash_path}"
    # Going to the URL the page is at only moves within it: load it again instead.
    if page.url == url:
        page.reload()
    else:
        page.goto(url)
    expect(page.locator("main#view")).not_to_have_attribute("aria-busy", "true", timeout=WAIT_MS)
    expect(page.locator("#problem")).to_be_hidden()


def api(path):
    with urllib.request.urlopen(f"{BASE}{path}", timeout=30) as answer:
        return json.load(answer)


def liveness_of(page, node):
    return page.locator(f'tr[data-provider="{node}"]').get_attribute("data-liveness")


def until_liveness(page, nodes, wanted, timeout_s):
    """Reloads the network view until every one of `nodes` reads one of `wanted`."""
    deadline = time.monotonic() + timeout_s
    while True:
        open_view(page, "/network")
        now = {n: liveness_of(page, n) for n in nodes}
        if all(v in wanted for v in now.values()):
            return now
        if time.monotonic() > deadline:
            rows = [api(f"/v1/providers/{n}") for n in nodes]
            raise SystemExit(
                f"after {timeout_s} s the nodes read {now}, not {wanted}; at {time.time():.0f} "
                f"the API has {rows}"
            )
        time.sleep(2)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page = watched_page(browser, problems, viewport={"width": 1280, "height": 900})

        open_view(page, "/feed")
        expect(page.get_by_text("Live:")).to_be_visible(timeout=WAIT_MS)
        (OUT / "feed-open").write_text("")
        put = json.loads(handed("put.json"))
        registered = page.locator('tr[data-kind="BlobRegistered"]')
        expect(registered).to_have_count(1, timeout=WAIT_MS)
        expect(registered).to_contain_text(put["blob"][:6])
        page.screenshot(path=str(OUT / "feed.png"), full_page=True)
        seen.append("the put's BlobRegistered arrived in the open feed")

        open_view(page, f"/blob/{put['blob']}")
        expect(page.locator("tr[data-shard]")).to_have_count(len(put["holders"]), timeout=WAIT_MS)
        for holder in put["holders"]:
            expect(page.locator(f'tr[data-holder="{holder}"]')).to_have_count(1)
        page.screenshot(path=str(OUT / "blob.png"), full_page=True)
        seen.append(f"the blob's page shows its {len(put['holders'])} placements")

        until_liveness(page, NODES, {"online"}, 90)
        page.screenshot(path=str(OUT / "network-online.png"), full_page=True)
        seen.append(f"all {len(NODES)} nodes online")
        (OUT / "network-seen").write_text("")
        handed("killed")
        now = until_liveness(page, NODES[:1], {"warning", "offline"}, 120)
        page.screenshot(path=str(OUT / "network-killed.png"), full_page=True)
        seen.append(f"the killed node reads {now[NODES[0]]}")
        browser.close()
    if problems:
        raise SystemExit("\n".join(problems))
    print(json.dumps({"seen": seen}))


main()
