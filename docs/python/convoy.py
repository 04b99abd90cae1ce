# The convoy: an I/O-bound thread's latency per operation, alone and beside a CPU-bound
# thread, with the switch interval at its default (5 ms). One operation is os.write of a
# byte to a pipe and os.read of it back; each releases the GIL around its system call
# (Modules/posixmodule.c, _Py_write and _Py_read: Py_BEGIN_ALLOW_THREADS) and takes it
# again in take_gil (Python/ceval_gil.c). Beside a CPU-bound thread that take races the
# other thread, which was woken by the release: when it loses, it waits in take_gil's
# timed wait for a switch interval before it can ask for a drop. Seed claim G3.
import json
import os
import statistics
import sys
import threading
import time

ALONE, BESIDE_SECONDS = 3000, 1.0     # the convoy shows over many switch intervals

def operations(n, r, w, seconds=None):
    latencies = []
    end = time.perf_counter() + seconds if seconds else None
    while len(latencies) < n and (end is None or time.perf_counter() < end):
        start = time.perf_counter()
        os.write(w, b"x")
        os.read(r, 1)
        latencies.append(time.perf_counter() - start)
    return latencies

stop = False

def cpu_bound():
    x = 0
    while not stop:                   # bytecode only: it holds the GIL until asked to drop it
        x += 1

def summary(latencies):
    s = sorted(latencies)
    at = lambda q: s[round((len(s) - 1) * q)] * 1e9
    return {"ops": len(s), "p50": at(0.5), "p90": at(0.9), "p99": at(0.99),
            "max": s[-1] * 1e9, "mean": statistics.mean(s) * 1e9}

def show(label, st):
    print(f"pipe write+read {label}: median {st['p50'] / 1e3:.1f} us, "
          f"p99 {st['p99'] / 1e3:.1f} us, mean {st['mean'] / 1e3:.1f} us ({st['ops']} operations)")

if __name__ == "__main__":
    print(f"switch interval {sys.getswitchinterval() * 1e3:.0f} ms")
    r, w = os.pipe()
    alone = summary(operations(ALONE, r, w))
    show("alone", alone)
    t = threading.Thread(target=cpu_bound)
    t.start()
    time.sleep(0.05)
    beside = summary(operations(10**9, r, w, BESIDE_SECONDS))
    stop = True
    t.join()
    show("beside a CPU-bound thread", beside)
    print("json: " + json.dumps({"alone": alone, "beside": beside}))
