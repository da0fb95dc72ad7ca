"""Debian's Chromium as the explorer's browser tests launch it through Playwright, and the
page errors they collect (indexer/tests/explorer/, app-tests/explorer/; their runners put
this folder on PYTHONPATH)."""

CHROMIUM = "/usr/bin/chromium"
# Chromium's own traffic (updates, sync, lookups of Google's hosts) is refused on a closed
# network and shows up as errors: off. No sandbox: the tests may run as root.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):
    """Chromium through Playwright, never a browser Playwright downloads."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


def watched_page(browser, problems, **options):
    """A new page whose console errors and uncaught errors are appended to `problems`."""
    page = browser.new_page(**options)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return page
