import sys, threading
sys.setswitchinterval(1e-6)          # ask for a switch as often as possible
x = 0
def work(n):
    global x
    for _ in range(n):
        x += 1                        # LOAD_GLOBAL, LOAD_CONST, BINARY_OP, STORE_GLOBAL
threads = [threading.Thread(target=work, args=(200_000,)) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(f"x += 1: expected {2 * 200_000}, got {x}")
