# Two processes add 1 to d['count'] of a Manager().dict() 2,000 times each.
import multiprocessing as mp

def add(d, lock, n):
    for _ in range(n):
        if lock is None:
            d["count"] += 1       # __getitem__ call, then __setitem__ call
        else:
            with lock:
                d["count"] += 1

if __name__ == "__main__":
    with mp.Manager() as m:
        for lock in (None, m.Lock()):
            d = m.dict(count=0)
            ps = [mp.Process(target=add, args=(d, lock, 2_000)) for _ in range(2)]
            for p in ps: p.start()
            for p in ps: p.join()
            print(f"d['count'] += 1{' under a manager Lock' if lock is not None else ''}: expected 4000, got {d['count']}")
