"""Run one command from a small process and record its peak resident memory.

`python -m bench.launch REPORT COMMAND...` runs COMMAND, then writes its exit
code and peak RSS (KiB) as JSON to the file REPORT.

Why a launcher: Linux keeps a process's peak RSS across exec, starting from
the memory of the process it was forked from. A command the bench started
itself would therefore report at least the bench's own size (Django, the
test data), whatever it used. Forked from this process, which loads nothing
but the standard library, it starts from about 10 MiB, below any `portal`
command. Only the standard library may be imported here for that reason.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    report, *command = argv
    child = subprocess.Popen(command)

    # The bench stops a server (or a hung command) by signalling this process.
    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = code = os.waitstatus_to_exitcode(status)
    # wait4 counts the child and what it reaped itself (gunicorn's workers).
    Path(report).write_text(json.dumps({"exit": code, "peak_rss_kib": usage.ru_maxrss}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
