"""/proc readings of a live process that the benches and lab tests share."""
import os


def proc_status(pid):
    """{"VmRSS": KiB, "VmHWM": KiB, "voluntary_ctxt_switches": n,
    "nonvoluntary_ctxt_switches": n} of a live process (the switches are its
    main thread's: it went to sleep, or it was preempted)."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                out[key] = int(rest.split()[0])
    return out


def _schedstat_sums(pid):
    """/proc/PID/task/*/schedstat summed over the process's live threads:
    [run ns, run-queue wait ns, timeslices], or None without schedstat."""
    sums = None
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                fields = [int(v) for v in f.read().split()[:3]]
        except (OSError, ValueError):
            continue
        if len(fields) == 3:
            sums = fields if sums is None else [a + b for a, b in zip(sums, fields)]
    return sums


def schedstat(pid):
    """(run, wait) seconds summed over the process's live threads
    (/proc/PID/task/*/schedstat, to the nanosecond): CPU time used, and time
    runnable but not running (held up by the scheduler). None without
    schedstat."""
    sums = _schedstat_sums(pid)
    return (sums[0] / 1e9, sums[1] / 1e9) if sums else None


def timeslices(pid):
    """How many times the process's threads have been put on a CPU so far
    (schedstat's third field): for an event-driven daemon, its wake-ups.
    None without schedstat."""
    sums = _schedstat_sums(pid)
    return sums[2] if sums else None


def cpu_seconds(pid):
    """User + system CPU time the process has used so far. From schedstat
    where the kernel has it: utime+stime in /proc/PID/stat count in 10 ms
    ticks, so a daemon using 0.4 % of a core shows 4 +- 1 ticks in 10 s —
    too coarse to rank two of them. Both count the same run time."""
    precise = schedstat(pid)
    if precise is not None:
        return precise[0]
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
