# Two processes send +1 to main 20,000 times each on a multiprocessing.Queue; only main
# keeps the counter (seed claim A5, beside mp_value.py's shared Value).
import multiprocessing as mp

def send(q, n):
    for _ in range(n):
        q.put(1)                      # a message: nothing shared but the pipe

if __name__ == "__main__":
    q = mp.Queue()
    ps = [mp.Process(target=send, args=(q, 20_000)) for _ in range(2)]
    for p in ps: p.start()
    total = 0
    for _ in range(2 * 20_000):       # get every message before joining the senders
        total += q.get()
    for p in ps: p.join()
    print(f"q.put(1) from 2 processes, main adds: expected 40000, got {total}")
