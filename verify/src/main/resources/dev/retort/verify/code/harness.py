# Runs one solution against its tests inside the sandbox; started by PythonSandbox with -c.
# Design choices:
# - One sandbox per response, one forked child per test: the interpreter starts once and each
#   test still runs in a fresh process with its own limits (CPU, address space, file size).
# - The child closes every inherited descriptor and this process is not dumpable, so the
#   solution cannot reach the result channel (stdout of this process) or ptrace it.
# - After each test every other process in the sandbox's pid namespace is killed, so nothing a
#   test leaves behind sees the next test. This process is the namespace's init: the solution
#   cannot signal it, and every process in the sandbox is reaped by it (so their CPU time is
#   accounted to the caller).
# - Outputs are only reported here; Java compares them with the expected ones, which never
#   enter the sandbox.
import ctypes, io, json, os, resource, select, shutil, signal, sys, time

# Line 1 of stdin: the settings and the code; then one test per line, answered by one result
# line each, so the caller can stop at the first failure without sending the rest.
requests = os.fdopen(os.dup(0), "rb")
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
sys.stdin = None
job = json.loads(requests.readline())
out = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_RDWR), 1)
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0

CPU = float(job["cpu_s"])
WALL = float(job["wall_s"])
MEM = int(job["mem_bytes"])
OUT_CAP = int(job["out_bytes"])
ERR_KEEP = 4096
FSIZE = int(job["file_bytes"])
NPROC = int(job["nproc"])
WORK = job.get("work", "/tmp/work")
# Isolated: this is the sandbox's pid namespace, every other process in it belongs to the
# solution. Not isolated (unsafe-local): only the test's process group can be killed.
ISOLATED = bool(job.get("isolated"))
code = job["code"]
mode = job["mode"]  # "stdio" or "assert"
MARK = b"\x00retort-assertions-done\x00"


def child(test, in_fd, out_w, err_w, mark_w):
    os.dup2(in_fd, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    keep = {0, 1, 2, mark_w}
    for fd in os.listdir("/proc/self/fd"):
        fd = int(fd)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    os.setpgid(0, 0)
    cpu = max(1, int(CPU + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (MEM, MEM))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE, FSIZE))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
    try:
        compiled = compile(code, "<solution>", "exec")
        check = compile(test, "<test>", "exec") if mode == "assert" else None
    except (SyntaxError, ValueError, OverflowError, RecursionError) as e:
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        sys.stderr.flush()
        os._exit(101)
    except MemoryError:
        os._exit(102)
    status = 0
    try:
        g = {"__name__": "__main__", "__builtins__": __builtins__}
        exec(compiled, g)
        if check is not None:
            exec(check, g)
            sys.stdout.flush()
            os.write(mark_w, MARK)
    except SystemExit as e:
        if e.code is None or e.code == 0:
            status = 0
        elif isinstance(e.code, int):
            status = e.code & 0xFF or 1
        else:
            sys.stderr.write(str(e.code) + "\n")
            status = 1
    except MemoryError:
        status = 102
    except BaseException:
        import traceback
        try:
            traceback.print_exc()
        except BaseException:
            pass
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    os._exit(status)


def kill_others():
    """Kills every other process in the sandbox. This harness is the pid namespace's init
    (bubblewrap's --as-pid-1), so orphans are re-parented to it: reap them too."""
    me = os.getpid()
    for _ in range(200):
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
        if not others:
            return
        for p in others:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.001)


def reset_work():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK, exist_ok=True)
    os.chdir(WORK)


def run(test, stdin_text):
    reset_work()
    in_fd = os.memfd_create("stdin")
    os.write(in_fd, stdin_text.encode("utf-8"))
    os.lseek(in_fd, 0, 0)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    mark_r, mark_w = os.pipe()
    out.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(out_r); os.close(err_r); os.close(mark_r)
            child(test, in_fd, out_w, err_w, mark_w)
        finally:
            os._exit(103)
    for fd in (in_fd, out_w, err_w, mark_w):
        os.close(fd)
    start = time.monotonic()
    chunks, err, mark = [], b"", b""
    size = 0
    verdict = None
    status = usage = None
    exited = os.pidfd_open(pid)
    open_fds = {out_r, err_r, mark_r, exited}

    def drain(fd):
        nonlocal size, verdict, err, mark
        data = os.read(fd, 65536)
        if not data:
            open_fds.discard(fd)
        elif fd == out_r:
            size += len(data)
            if size > OUT_CAP:
                verdict = "output_limit"
                chunks.append(data[: max(0, OUT_CAP - (size - len(data)))])
            else:
                chunks.append(data)
        elif fd == err_r:
            err = (err + data)[-ERR_KEEP:]
        else:
            mark = (mark + data)[-64:]

    # Until the test's process exits (its pidfd turns readable), or a limit is passed.
    while status is None and verdict is None:
        left = WALL - (time.monotonic() - start)
        if left <= 0:
            verdict = "wall"
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            if fd == exited:
                _, status, usage = os.wait4(pid, 0)
            else:
                drain(fd)
    if status is None:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except OSError:
                pass
        _, status, usage = os.wait4(pid, 0)
    os.close(exited)
    open_fds.discard(exited)
    # Anything the test left running dies now; then its pipes have no writer left and drain to EOF.
    if ISOLATED:
        kill_others()
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    while open_fds and verdict != "output_limit":
        ready, _, _ = select.select(list(open_fds), [], [], 1.0)
        if not ready:
            break
        for fd in ready:
            drain(fd)
    for fd in (out_r, err_r, mark_r):
        os.close(fd)
    cpu_s = usage.ru_utime + usage.ru_stime
    res = {
        "stdout": b"".join(chunks).decode("utf-8", "replace"),
        "stderr": err.decode("utf-8", "replace"),
        "cpu_s": round(cpu_s, 4),
        "wall_s": round(time.monotonic() - start, 4),
        "max_rss_kb": usage.ru_maxrss,
        "done": mark.endswith(MARK),
    }
    if verdict:
        res["status"] = verdict
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        res["status"] = "signal"
        res["signal"] = sig
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_s >= CPU):
            res["status"] = "cpu"
        elif sig == signal.SIGXFSZ:
            res["status"] = "file_limit"
    else:
        code_ = os.WEXITSTATUS(status)
        res["exit"] = code_
        res["status"] = {0: "exit", 101: "compile", 102: "memory"}.get(code_, "exit")
    if res["status"] == "exit" and cpu_s > CPU:
        res["status"] = "cpu"
    return res


if ISOLATED:
    resource.setrlimit(resource.RLIMIT_NPROC, (NPROC, NPROC))
i = 0
for line in requests:
    if not line.strip():
        continue
    t = json.loads(line)
    r = run(t.get("assert", ""), t.get("input", "") if mode == "stdio" else "")
    r["i"] = i
    i += 1
    out.write(json.dumps(r) + "\n")
    out.flush()
