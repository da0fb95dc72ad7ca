"""The explorer's wallet actions against a running local network, in Debian's Chromium driven
by Playwright (app-tests/tests/explorer.rs runs it and reads the blob as the grantee between
its steps).

Usage: wallet.py BASE_URL OUT_DIR OWNER_KEYPAIR BLOB GRANTEE SEALED

A test wallet holding OWNER_KEYPAIR registers in the page through the Wallet Standard
(scripts/test_wallet.py) and, on BLOB's page: refuses a grant to something that is not an
address without signing anything; grants GRANTEE read access (`granted`; the test then
reads the blob as GRANTEE and writes `granted-read`); is refused a top-up beyond its tokens
(the deal unchanged), then tops up 1000 (the deal's funding grows by exactly that); revokes
the grant (`revoked`; the test checks GRANTEE is refused, waits until every holder has a
proven epoch the deal has not paid, and writes their number into `revoked-read`); deletes
the blob, which pays each of those holders first (`deleted`). On SEALED's page (an encrypted
blob) read cannot be granted from a wallet and the page says why; write can. Any console
error or uncaught page error fails the run. Screenshots go to OUT_DIR. Prints one JSON line
of what was seen.
"""

import json
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from chromium import launch, watched_page
from test_wallet import NAME, TestWallet

BASE, OUT, OWNER, BLOB, GRANTEE, SEALED = sys.argv[1], Path(sys.argv[2]), *sys.argv[3:7]
WAIT_MS = 60_000
# A transaction: the wallet signs, the chain confirms, the indexer records it.
ACTION_MS = 120_000
TOP_UP = 1000
problems = []
seen = {}


def handed(name, timeout_s=300):
    """What the test wrote into OUT_DIR/name, once it has."""
    deadline = time.monotonic() + timeout_s
    while not (OUT / name).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"the test never wrote {name}")
        time.sleep(0.2)
    return (OUT / name).read_text()


def hand(name):
    (OUT / name).write_text("")


def api(path):
    with urllib.request.urlopen(f"{BASE}{path}", timeout=30) as answer:
        return json.load(answer)


def action(page, name, outcome="done"):
    """Waits for the action under way to end with `outcome`; returns the status line."""
    status = page.locator("[data-action-status]")
    expect(status).to_have_attribute("data-outcome", outcome, timeout=ACTION_MS)
    return status.inner_text()


def shot(page, name):
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def phone(browser, wallet):
    """The blob's page with the wallet connected on a phone-sized screen: no sideways scroll."""
    page = watched_page(browser, problems, viewport={"width": 390, "height": 844})
    wallet.install(page)
    page.goto(f"{BASE}/#/blob/{BLOB}")
    page.locator(f'#wallet button[data-wallet="{NAME}"]').click()
    expect(page.locator('form[data-action="grant"]')).to_be_visible(timeout=WAIT_MS)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the phone-sized page is {overflow}px wider than the window"
    shot(page, "wallet-phone")
    page.close()


def run(page, wallet):
    page.goto(f"{BASE}/#/blob/{BLOB}")
    expect(page.locator("main#view")).not_to_have_attribute("aria-busy", "true", timeout=WAIT_MS)
    expect(page.locator("#manage")).to_be_visible()
    expect(page.locator(".actions")).to_contain_text("Connect the owner's wallet")
    page.locator(f'#wallet button[data-wallet="{NAME}"]').click()
    expect(page.locator(f'#wallet [data-connected="{wallet.address}"]')).to_be_visible()
    grant = page.locator('form[data-action="grant"]')
    expect(grant.locator('input[value="1"]')).to_be_checked()

    # Not an address: refused in the page, nothing signed.
    grant.locator('input[name="grantee"]').fill("not-an-address")
    grant.locator('button[type="submit"]').click()
    seen["bad_grantee"] = action(page, "grant", "failed")
    assert "not a Solana address" in seen["bad_grantee"], seen["bad_grantee"]
    assert wallet.signed == [], "the wallet signed for a refused grant"

    grant.locator('input[name="grantee"]').fill(GRANTEE)
    grant.locator('button[type="submit"]').click()
    seen["grant"] = action(page, "grant")
    expect(page.locator(f'[data-revoke="{GRANTEE}"]')).to_be_visible()
    grants = api(f"/v1/blobs/{BLOB}/grants")["items"]
    assert any(g["grantee"] == GRANTEE and g["active"] and g["roles"] == 1 for g in grants), grants
    assert len(wallet.signed) == 1, f"{len(wallet.signed)} signatures for one grant"
    shot(page, "wallet-granted")
    phone(page.context.browser, wallet)
    hand("granted")
    handed("granted-read")

    # More than the wallet holds: the token program refuses, the deal is unchanged.
    before = api(f"/v1/blobs/{BLOB}")["deal"]["funded_total"]
    top_up = page.locator('form[data-action="top-up"]')
    top_up.locator('input[name="amount"]').fill(str(10**19))
    top_up.locator('button[type="submit"]').click()
    seen["top_up_too_much"] = action(page, "top up", "failed")
    assert "insufficient funds" in seen["top_up_too_much"], seen["top_up_too_much"]
    assert api(f"/v1/blobs/{BLOB}")["deal"]["funded_total"] == before
    page.locator('form[data-action="top-up"] input[name="amount"]').fill(str(TOP_UP))
    page.locator('form[data-action="top-up"] button[type="submit"]').click()
    seen["top_up"] = action(page, "top up")
    after = api(f"/v1/blobs/{BLOB}")["deal"]["funded_total"]
    assert int(after) == int(before) + TOP_UP, (before, after)
    seen["funded"] = [before, after]

    page.locator(f'[data-revoke="{GRANTEE}"]').click()
    seen["revoke"] = action(page, "revoke")
    expect(page.locator(f'[data-revoke="{GRANTEE}"]')).to_have_count(0)
    hand("revoked")
    unpaid = int(handed("revoked-read"))

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('form[data-action="delete"] button[type="submit"]').click()
    seen["delete"] = action(page, "delete")
    expect(page.locator(".actions")).to_contain_text("This blob is deleted.", timeout=WAIT_MS)
    assert api(f"/v1/blobs/{BLOB}")["status"] == "deleted"
    # Every holder was paid its proven epochs before the blob went (a proof landing during
    # the deletion is settled by the page's retry: a holder may be paid twice).
    payouts = api(f"/v1/payouts?blob={BLOB}")["items"]
    paid = {p["shard_index"] for p in payouts}
    assert len(paid) == unpaid and all(int(p["amount"]) > 0 for p in payouts), payouts
    seen["payouts"] = len(payouts)
    shot(page, "wallet-deleted")
    hand("deleted")

    # An encrypted blob: its key cannot be sealed to a grantee from a wallet, write can be granted.
    page.goto(f"{BASE}/#/blob/{SEALED}")
    grant = page.locator('form[data-action="grant"]')
    expect(grant).to_be_visible(timeout=WAIT_MS)
    expect(grant.locator('input[value="1"]')).to_be_disabled()
    expect(grant.locator('input[value="1"]')).not_to_be_checked()
    expect(grant.locator(".note")).to_contain_text("basalt grant")
    grant.locator('input[name="grantee"]').fill(GRANTEE)
    grant.locator('input[value="2"]').check()
    grant.locator('button[type="submit"]').click()
    seen["sealed_grant"] = action(page, "grant")
    grants = api(f"/v1/blobs/{SEALED}/grants")["items"]
    assert any(g["grantee"] == GRANTEE and g["roles"] == 2 for g in grants), grants
    shot(page, "wallet-encrypted")
    seen["signatures"] = len(wallet.signed)


def main():
    wallet = TestWallet(OWNER)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = watched_page(browser, problems, viewport={"width": 1280, "height": 900})
        wallet.install(page)
        try:
            run(page, wallet)
        except BaseException:
            shot(page, "wallet-failed")
            raise
        finally:
            browser.close()
    if problems:
        raise SystemExit("errors in the page:\n" + "\n".join(problems))
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
