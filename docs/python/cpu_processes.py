# A CPU-bound pure-Python function run 4 times: one after another, in 4 threads, and in a
# multiprocessing.Pool of 2 processes (this machine has 2 cores). Seed claims G6 and A2.
import multiprocessing as mp
import threading
import time

N = 20_000_000

def count(n):
    x = 0
    for i in range(n):                # bytecode only: the thread holds the GIL throughout
        x += i
    return x

def timed(label, run):
    start = time.perf_counter()
    run()
    print(f"4 x count({N:_}), {label}: {time.perf_counter() - start:.2f} s")

def serially():
    for _ in range(4):
        count(N)

def in_threads():
    threads = [threading.Thread(target=count, args=(N,)) for _ in range(4)]
    for t in threads: t.start()
    for t in threads: t.join()

def in_processes():
    with mp.Pool(2) as pool:          # a process, an interpreter and a GIL per worker
        pool.map(count, [N] * 4)

if __name__ == "__main__":
    timed("serially", serially)
    timed("4 threads", in_threads)
    timed("Pool(2)", in_processes)
