"""CPU and memory of a process tree, read from /proc (psutil is not a dependency)."""

import os

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
    except OSError:
        return None
    # The command name may hold spaces: split after the closing parenthesis.
    return raw[raw.rindex(")") + 2 :].split()


def tree(pid: int) -> list[int]:
    """pid and all its descendants (uvicorn's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat(int(name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes, in seconds."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except OSError:
            pass
    return total


class Meter:
    """CPU seconds and RSS of a process tree between two points in time."""

    def __init__(self, pid: int):
        self.pid = pid
        self.pids = tree(pid)
        self.cpu0 = cpu_seconds(self.pids)
        self.rss0 = rss_bytes(self.pids)

    def snapshot(self) -> dict:
        pids = tree(self.pid)
        return {
            "cpu_s": cpu_seconds(pids) - self.cpu0,
            "rss": rss_bytes(pids),
            "rss_delta": rss_bytes(pids) - self.rss0,
        }
