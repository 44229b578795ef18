"""The embed's size budgets, gzipped as served: the widget (script and CSS) at most
7 KB, the counts script for listing pages at most 1 KB. Prints the figures; exits 1
over a budget."""

from __future__ import annotations

import sys

from commentsvc.web.embed import load_assets

BUDGETS = {("embed.js", "embed.css"): 7 * 1024, ("count.js",): 1024}


def main() -> int:
    assets = load_assets()
    within = True
    for names, budget in BUDGETS.items():
        total = 0
        for name in names:
            asset = assets[name]
            print(f"{name:10s} {len(asset.body):7,d} bytes, {len(asset.gzipped):6,d} gzipped")
            total += len(asset.gzipped)
        verdict = "within" if total <= budget else "OVER"
        within = within and total <= budget
        print(f"{'total':10s} {total:23,d} gzipped: {verdict} the {budget:,d}-byte budget\n")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
