# Two processes add 1 to a shared multiprocessing.Value 20,000 times each.
import multiprocessing as mp

def add(v, n, locked):
    for _ in range(n):
        if locked:
            with v.get_lock():
                v.value += 1
        else:
            v.value += 1          # a locked get, then a locked set

if __name__ == "__main__":
    for locked in (False, True):
        v = mp.Value("i", 0)
        ps = [mp.Process(target=add, args=(v, 20_000, locked)) for _ in range(2)]
        for p in ps: p.start()
        for p in ps: p.join()
        print(f"v.value += 1{' under get_lock()' if locked else ''}: expected 40000, got {v.value}")
