"""CPU time and resident memory of another process, read from /proc (Linux only, no psutil).

    usage = ProcessUsage(pid)
    usage.cpu_seconds()       user + system time so far
    usage.rss_mb()            resident now (VmRSS)
    usage.peak_rss_mb()       resident high-water mark (VmHWM) since start or the last reset
    usage.reset_peak()        start a new high-water mark (writes 5 to /proc/PID/clear_refs)
"""
from __future__ import annotations

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ProcessUsage:
    def __init__(self, pid: int):
        self.pid = pid

    def cpu_seconds(self) -> float:
        """utime + stime of the process (its threads included), in seconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            stat = f.read()
        # The command name (field 2) is in parentheses and may hold spaces: split after it.
        fields = stat[stat.rindex(")") + 2:].split()
        utime, stime = int(fields[11]), int(fields[12])
        return (utime + stime) / CLOCK_TICKS

    def rss_mb(self) -> float:
        return self._status_kb("VmRSS") / 1024

    def peak_rss_mb(self) -> float:
        return self._status_kb("VmHWM") / 1024

    def reset_peak(self) -> None:
        """Make VmHWM the current RSS, so the next peak is that of what follows (e.g. traffic,
        not the config load at start)."""
        with open(f"/proc/{self.pid}/clear_refs", "w") as f:
            f.write("5")

    def _status_kb(self, field: str) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise LookupError(f"{field} not in /proc/{self.pid}/status")


def machine() -> str:
    """`2 × AMD EPYC, load 1.52` — what the figures were measured on."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} × {model}, load average {load:.2f} at start"
