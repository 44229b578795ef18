"""The embed's size budget: the served script plus its CSS, gzipped as served,
must stay under 8 KB. Prints the figures; exits 1 over budget."""

from __future__ import annotations

import sys

from commentsvc.web.embed import load_assets

BUDGET = 8 * 1024


def main() -> int:
    assets = load_assets()
    total = 0
    for name, asset in assets.items():
        print(f"{name:10s} {len(asset.body):7,d} bytes, {len(asset.gzipped):6,d} gzipped")
        total += len(asset.gzipped)
    verdict = "within" if total <= BUDGET else "OVER"
    print(f"{'total':10s} {total:23,d} gzipped: {verdict} the {BUDGET:,d}-byte budget")
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
