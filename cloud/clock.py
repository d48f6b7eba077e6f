from __future__ import annotations

import time


def now_s() -> int:
    return int(time.time())
