#!/usr/bin/env python3
"""Builds the code-verification data in this folder from two public sources (see README.md).

Run (from this folder, with git clones of the sources):
  python3 make_data.py HUMAN_EVAL_REPO DESCRIPTION2CODE_REPO

Writes:
  function.jsonl  HumanEval problems 0-59: the reference solution as a response, the check as an
                  assertion test
  stdio.jsonl     CodeChef "easy" problems (Description2Code): a Python 3 reference solution that
                  passes the statement's example, the example as a stdin/stdout test
  broken.jsonl    systematic broken variants of every reference, made by program transformation:
                  wrong_return, off_by_one, infinite_loop, huge_allocation; each with the verdict
                  that plain, unsandboxed python3 (with a memory limit and a timeout) gives it

The expected verdict of a variant comes from running it outside the sandbox, never from its
name; a variant that still passes its tests there (an equivalent mutant) is left out and counted.
"""
import ast, gzip, json, os, re, resource, subprocess, sys, tempfile

HUMAN_EVAL_COMMIT = "6d43fb980f9fee3c892a914eda09951f772ad10d"
D2C_COMMIT = "1a64deb3af8fe10e3f8e25010ba325acc7a2f0ae"
FUNCTION_PROBLEMS = 60
STDIO_PROBLEMS = 30
BARE_TIMEOUT_S = 3
MAX_CANDIDATES = 4
BARE_MEMORY = 256 << 20


def git_show(repo, commit, path, binary=False):
    out = subprocess.run(["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True, check=True).stdout
    return out if binary else out.decode("utf-8", "replace")


def fence(code):
    return "```python\n" + code.rstrip("\n") + "\n```\n"


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (BARE_MEMORY, BARE_MEMORY))


def same_output(expected, actual):
    def norm(t):
        lines = [l.rstrip() for l in t.replace("\r\n", "\n").split("\n")]
        while lines and lines[-1] == "":
            lines.pop()
        return lines
    return norm(expected) == norm(actual)


def bare_verdict(code, tests):
    """The verdict of plain python3, one process per test: the oracle for the expected reasons."""
    for t in tests:
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "main.py")
            program = code + ("\n\n" + t["assert"] + "\n" if "assert" in t else "")
            with open(src, "w") as f:
                f.write(program)
            try:
                r = subprocess.run([sys.executable, src], input=t.get("input", "").encode(), capture_output=True,
                                   timeout=BARE_TIMEOUT_S, cwd=d, preexec_fn=limit_memory)
            except subprocess.TimeoutExpired:
                return "timeout"
        err = r.stderr.decode("utf-8", "replace").strip()
        last = err.splitlines()[-1] if err else ""
        if r.returncode != 0:
            if last.startswith("SyntaxError") or last.startswith("IndentationError"):
                return "compile_error"
            if last.startswith("MemoryError") or "MemoryError" in last:
                return "memory_limit"
            if "assert" in t and last.startswith("AssertionError"):
                return "wrong_answer"
            return "runtime_error"
        if "output" in t and not same_output(t["output"], r.stdout.decode("utf-8", "replace")):
            return "wrong_answer"
    return "accepted"


# ---- transformations (source to source) ----

class OffByOne(ast.NodeTransformer):
    """One boundary moved by one, the first that applies of: the end of a range() call (+1); a
    comparison's < / <= / > / >= (to <= / < / >= / >); a constant index or slice bound (+1)."""

    FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}

    def __init__(self, mode):
        self.mode = mode
        self.done = False

    def visit_Call(self, node):
        self.generic_visit(node)
        if (self.mode == "range" and not self.done and isinstance(node.func, ast.Name) and node.func.id == "range"
                and node.args and len(node.args) <= 2):
            node.args[-1] = ast.BinOp(node.args[-1], ast.Add(), ast.Constant(1))
            self.done = True
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        if self.mode == "compare" and not self.done:
            for i, op in enumerate(node.ops):
                if type(op) in self.FLIP:
                    node.ops[i] = self.FLIP[type(op)]()
                    self.done = True
                    break
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if self.mode == "index" and not self.done:
            target = node.slice
            if isinstance(target, ast.Slice):
                target = target.upper or target.lower
            if isinstance(target, ast.Constant) and type(target.value) is int:
                target.value += 1
                self.done = True
            elif isinstance(target, ast.UnaryOp) and isinstance(target.operand, ast.Constant):
                target.operand.value = max(0, target.operand.value - 1) or 2
                self.done = True
        return node


def off_by_one(code):
    for mode in ("range", "compare", "index"):
        tree = ast.parse(code)
        t = OffByOne(mode)
        tree = t.visit(tree)
        if t.done:
            return ast.unparse(ast.fix_missing_locations(tree))
    return None


PERTURB = '''
def _retort_perturb(r):
    if isinstance(r, bool):
        return not r
    if isinstance(r, (int, float)):
        return r + 1
    if isinstance(r, str):
        return r + "?"
    if isinstance(r, (list, tuple)):
        return type(r)(list(r) + (list(r[:1]) if r else [0]))
    if r is None:
        return 0
    return None
'''


def wrong_return_function(code, entry):
    return (code.rstrip("\n") + "\n" + PERTURB + f"\n_retort_orig = {entry}\n\n"
            f"def {entry}(*args, **kwargs):\n    return _retort_perturb(_retort_orig(*args, **kwargs))\n")


def wrong_return_stdio(code):
    # The program's last line of output is changed: one more line with a wrong value.
    return code.rstrip("\n") + "\nprint(-1)\n"


def infinite_loop(code, entry=None):
    tree = ast.parse(code)
    loop = ast.parse("while True:\n    pass").body[0]
    if entry is None:
        tree.body.insert(0, loop)
    else:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == entry:
                node.body.insert(0, loop)
                break
    return ast.unparse(ast.fix_missing_locations(tree))


def huge_allocation(code, entry=None):
    tree = ast.parse(code)
    alloc = ast.parse("_retort_block = [0] * (1 << 31)").body[0]
    if entry is None:
        tree.body.insert(0, alloc)
    else:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == entry:
                node.body.insert(0, alloc)
                break
    return ast.unparse(ast.fix_missing_locations(tree))


# ---- sources ----

def human_eval(repo):
    rows = []
    data = gzip.decompress(git_show(repo, HUMAN_EVAL_COMMIT, "data/HumanEval.jsonl.gz", binary=True))
    for line in data.decode().splitlines()[:FUNCTION_PROBLEMS]:
        p = json.loads(line)
        code = p["prompt"] + p["canonical_solution"]
        tests = [{"assert": p["test"] + f"\ncheck({p['entry_point']})\n"}]
        rows.append({"id": p["task_id"], "source": f"openai/human-eval@{HUMAN_EVAL_COMMIT[:7]}", "code": code,
                     "entry_point": p["entry_point"], "tests": tests})
    return rows


def example(desc):
    """The statement's example: the lines after "Input" up to "Output", then up to a blank line or the explanation."""
    lines = [l.rstrip() for l in desc.replace("\r\n", "\n").split("\n")]
    try:
        start = next(i for i, l in enumerate(lines) if re.fullmatch(r"\s*Examples?:?", l))
        inp = next(i for i in range(start + 1, len(lines)) if re.fullmatch(r"\s*Input:?", lines[i]))
        out = next(i for i in range(inp + 1, len(lines)) if re.fullmatch(r"\s*Output:?", lines[i]))
    except StopIteration:
        return None
    stdin = [l for l in lines[inp + 1:out]]
    while stdin and not stdin[-1].strip():
        stdin.pop()
    while stdin and not stdin[0].strip():
        stdin.pop(0)
    expected = []
    for l in lines[out + 1:]:
        if not l.strip() and expected:
            break
        if re.match(r"\s*(Explanation|Note)", l):
            break
        if l.strip():
            expected.append(l)
    if not stdin or not expected:
        return None
    return {"input": "\n".join(stdin) + "\n", "output": "\n".join(expected) + "\n"}


def to_python3(code):
    """2016 submissions are mostly Python 2: converted with lib2to3, a systematic translation."""
    import warnings
    warnings.simplefilter("ignore")
    from lib2to3.refactor import RefactoringTool, get_fixers_from_package
    tool = RefactoringTool(get_fixers_from_package("lib2to3.fixes"))
    return str(tool.refactor_string(code.rstrip("\n") + "\n", "solution"))


def codechef(repo):
    rows = []
    for level in ("easy", "medium"):
        listing = subprocess.run(["git", "-C", repo, "ls-tree", "-r", "--name-only", D2C_COMMIT,
                                  f"codechef_data_currently/{level}/"], capture_output=True, check=True,
                                 text=True).stdout
        by_problem = {}
        for path in listing.splitlines():
            parts = path.split("/")
            if len(parts) == 5 and parts[3] == "solutions_python":
                by_problem.setdefault(parts[2], []).append(path)
        for name in sorted(by_problem):
            desc = git_show(repo, D2C_COMMIT, f"codechef_data_currently/{level}/{name}/description/description.txt")
            test = example(desc)
            if test is None:
                continue
            tests = [test]
            candidates = sorted(by_problem[name], key=lambda p: int(re.sub(r"\D", "", p.split("/")[-1]) or 0))
            for path in candidates[:MAX_CANDIDATES]:
                original = git_show(repo, D2C_COMMIT, path).replace("\r\n", "\n")
                if "\x00" in original:
                    continue
                try:
                    code = to_python3(original)
                    ast.parse(code)
                except Exception:
                    continue
                if bare_verdict(code, tests) == "accepted":
                    rows.append({"id": f"codechef/{name}", "converted": code != original.rstrip("\n") + "\n",
                                 "source": f"ethancaballero/description2code@{D2C_COMMIT[:7]}:{path}",
                                 "code": code, "tests": tests})
                    break
            if len(rows) == STDIO_PROBLEMS:
                return rows
    return rows


def main():
    he_repo, d2c_repo = sys.argv[1], sys.argv[2]
    function = human_eval(he_repo)
    stdio = codechef(d2c_repo)
    from concurrent.futures import ThreadPoolExecutor
    broken, equivalent, not_applicable, jobs = [], {}, {}, []
    for rows, kind in ((function, "function"), (stdio, "stdio")):
        for r in rows:
            assert bare_verdict(r["code"], r["tests"]) == "accepted", r["id"]
            entry = r.get("entry_point")
            variants = {
                "wrong_return": wrong_return_function(r["code"], entry) if entry else wrong_return_stdio(r["code"]),
                "off_by_one": off_by_one(r["code"]),
                "infinite_loop": infinite_loop(r["code"], entry),
                "huge_allocation": huge_allocation(r["code"], entry),
            }
            for how, code in variants.items():
                if code is None:
                    not_applicable[how] = not_applicable.get(how, 0) + 1
                else:
                    jobs.append((r, kind, how, code))
    with ThreadPoolExecutor(2) as pool:
        verdicts = list(pool.map(lambda j: bare_verdict(j[3], j[0]["tests"]), jobs))
    for (r, kind, how, code), expected in zip(jobs, verdicts):
        if expected == "accepted":
            equivalent[how] = equivalent.get(how, 0) + 1
            continue
        broken.append({"id": r["id"], "kind": kind, "transformation": how, "expected": expected,
                       "response": fence(code), "tests": r["tests"]})
    with open("function.jsonl", "w") as f:
        for r in function:
            f.write(json.dumps({"id": r["id"], "source": r["source"], "response": fence(r["code"]), "tests": r["tests"]}) + "\n")
    with open("stdio.jsonl", "w") as f:
        for r in stdio:
            f.write(json.dumps({"id": r["id"], "source": r["source"], "converted_by_2to3": r["converted"],
                                "response": fence(r["code"]), "tests": r["tests"]}) + "\n")
    with open("broken.jsonl", "w") as f:
        for b in broken:
            f.write(json.dumps(b) + "\n")
    counts = {}
    for b in broken:
        key = (b["transformation"], b["expected"])
        counts[key] = counts.get(key, 0) + 1
    print(f"function={len(function)} stdio={len(stdio)} broken={len(broken)}")
    for k in sorted(counts):
        print("  %s -> %s: %d" % (k[0], k[1], counts[k]))
    print("equivalent mutants left out:", equivalent)
    print("transformation not applicable:", not_applicable)


if __name__ == "__main__":
    main()
