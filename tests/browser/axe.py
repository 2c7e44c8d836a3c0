"""axe-core (vendored, tests/browser/vendor/) run in the page: the WCAG 2.2 A and AA rules.

The script goes in through Playwright's evaluate, which the page's Content-Security-Policy does
not govern, so the pages are checked under the policy they are served with.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page) -> list[str]:
    """Each violation on the page as "rule: the first offending element (impact)"."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA
    )
    return [
        f"{page.url}: {v['id']}: {v['nodes'][0]['html'][:120]} ({v['impact']})"
        for v in result["violations"]
    ]


class AxeAudit:
    """axe run on each page a story passes through, as it stands at that step (a form, the page
    after a save): call it after every navigation; `pages` says what was checked, by whom."""

    def __init__(self) -> None:
        self.pages: list[str] = []
        self.violations: list[str] = []

    def __call__(self, page: Page, who: str) -> None:
        page.wait_for_load_state("load")
        self.pages.append(f"{who} {page.url.split('//', 1)[-1].split('/', 1)[-1]}")
        self.violations += [f"{who}: {v}" for v in axe_violations(page)]
