# What get_lock() costs: two processes add 1 to a shared multiprocessing.Value 20,000
# times each, with no lock (wrong: a locked get then a locked set, seed claim A3) and
# under v.get_lock() (right). The Value's own lock is a multiprocessing.RLock, a POSIX
# semaphore shared by the processes (Modules/_multiprocessing/semaphore.c). Each process
# times its own loop, so process start-up is not counted.
import multiprocessing as mp
import time

N = 20_000

def add(v, n, locked, took, i):
    start = time.perf_counter()
    for _ in range(n):
        if locked:
            with v.get_lock():
                v.value += 1
        else:
            v.value += 1
    took[i] = time.perf_counter() - start

if __name__ == "__main__":
    for locked in (False, True):
        v = mp.Value("i", 0)
        took = mp.Array("d", 2)
        ps = [mp.Process(target=add, args=(v, N, locked, took, i)) for i in range(2)]
        for p in ps: p.start()
        for p in ps: p.join()
        label = "under get_lock()" if locked else "no lock"
        print(f"v.value += 1, {label}: got {v.value} of {2 * N}, "
              f"{max(took) * 1e6 / N:.1f} us per increment per process")
