import sys, threading
sys.setswitchinterval(1e-6)
x = 0
def tracer(frame, event, arg):
    # Called before every bytecode of `work`: a Python call, hence a check point between
    # any two bytecodes, as CPython up to 3.9 had.
    frame.f_trace_opcodes = True
    return tracer
def work(n):
    global x
    for _ in range(n):
        x += 1
def traced(n):
    sys.settrace(tracer)
    work(n)
threads = [threading.Thread(target=traced, args=(50_000,)) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(f"x += 1, a check point before every bytecode: expected {2 * 50_000}, got {x}")
