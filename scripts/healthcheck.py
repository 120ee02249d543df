#!/usr/bin/env python3
"""Container health check (stdlib only): GET ``http://127.0.0.1:$PORT/healthz``.

Exit 0 on HTTP 200, else 1 with one line on stderr. The Dockerfile's ``HEALTHCHECK`` runs it
(the slim image has no curl); ``healthcheck.py /readyz`` checks readiness instead.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    url = f"http://127.0.0.1:{os.environ.get('PORT', '3000')}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"healthcheck: {url} answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
