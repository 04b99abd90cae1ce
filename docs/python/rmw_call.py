import sys, threading
sys.setswitchinterval(1e-6)
x = 0
def one():
    return 1
def work(n):
    global x
    for _ in range(n):
        x = x + one()                 # LOAD_GLOBAL x; CALL one (a check point); BINARY_OP; STORE_GLOBAL
threads = [threading.Thread(target=work, args=(200_000,)) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(f"x = x + one(): expected {2 * 200_000}, got {x}")
