# CPU-bound work in C that releases the GIL: hashlib hashes a buffer of 2048 bytes or more
# between Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS (Modules/_hashopenssl.c,
# EVP_update), so threads hash in parallel. Run 4 times serially and in 4 threads; this
# machine has 2 cores. Seed claim G6, beside cpu_processes.py's pure-Python loop.
import hashlib
import threading
import time

DATA = bytes(64 * 1024 * 1024)       # 64 MiB

def digest():
    h = hashlib.sha256()
    for _ in range(16):
        h.update(DATA)                # the GIL is released for each update
    return h.hexdigest()

def timed(label, run):
    start = time.perf_counter()
    run()
    print(f"4 x sha256 of 1 GiB, {label}: {time.perf_counter() - start:.2f} s")

def serially():
    for _ in range(4):
        digest()

def in_threads():
    threads = [threading.Thread(target=digest) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()

if __name__ == "__main__":
    timed("serially", serially)
    timed("4 threads", in_threads)
