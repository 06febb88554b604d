"""`python -m bench http|stats|webhooks|pages [args]`: run one benchmark harness."""

from __future__ import annotations

import importlib
import sys

HARNESSES = {
    "http": "bench.http_bench",
    "stats": "bench.stats_bench",
    "webhooks": "bench.webhook_bench",
    "pages": "bench.page_bench",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in HARNESSES:
        print(f"usage: python -m bench {{{'|'.join(HARNESSES)}}} [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(HARNESSES[argv[0]])
    sys.argv = [f"bench {argv[0]}", *argv[1:]]
    result: int = module.main()
    return result


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
