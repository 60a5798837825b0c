"""The learner's entry point: `make lab` starts JupyterLab, which serves the lessons; through the Jupyter server's REST
and kernel (websocket) API, as a browser tab uses it, the course's kernel runs a lesson's first cells and imports
every exported module; then the kernel and the server shut down cleanly."""
import json, os, re, socket, subprocess, time, secrets, uuid
from datetime import datetime, timezone
from pathlib import Path
import nbformat, pytest, requests, websocket

ROOT = Path(__file__).resolve().parent.parent
KERNEL_NAME = "Python 3 (backprop_course)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab():
    "A running `make lab`: (base url, auth headers, token); shut down through the API at the end, which must work."
    port, token = free_port(), secrets.token_hex(16)
    cmd = ["make", "--no-print-directory", "lab", f"PORT={port}", f"LAB_ARGS=--no-browser --IdentityProvider.token={token}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        up, deadline = False, time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{base}/api/contents", headers=auth, timeout=2).status_code == 200: up = True; break
            except requests.ConnectionError: pass
            time.sleep(0.5)
        assert up, f"JupyterLab did not answer on port {port}"
        yield base, auth, token
        assert requests.post(f"{base}/api/shutdown", headers=auth, timeout=10).status_code in (200, 202, 204)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, f"`make lab` exited with {proc.returncode} after /api/shutdown:\n{out[-3000:]}"
    finally:
        if proc.poll() is None: os.killpg(proc.pid, 9)


def test_make_lab_serves_the_lessons(lab):
    base, auth, _ = lab
    listing = requests.get(f"{base}/api/contents", headers=auth, timeout=10).json()
    served = {c["name"] for c in listing["content"]}
    lessons = {p.name for p in (ROOT/"nbs").glob("*.ipynb")}
    assert lessons <= served, f"lessons missing from JupyterLab: {lessons - served}"
    assert any(re.match(r"0[1-9]_", n) for n in served)
    page = requests.get(f"{base}/lab", headers=auth, timeout=10)
    assert page.status_code == 200 and "JupyterLab" in page.text


class Kernel:
    "A kernel driven over the Jupyter server's websocket channel, the way JupyterLab drives it."
    def __init__(self, base, token, kernel_id):
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels?token={token}", timeout=120)

    def execute(self, code: str) -> str:
        "Run `code`; return its stdout (and text results); fail with the traceback if it raises."
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "test", "session": self.session, "msg_type": "execute_request",
                       "version": "5.3", "date": datetime.now(timezone.utc).isoformat()},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
        out, reply, idle = [], None, False
        while reply is None or not idle:
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id: continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content["name"] == "stdout": out.append(content["text"])
            elif kind in ("execute_result", "display_data"): out.append(content["data"].get("text/plain", ""))
            elif kind == "status" and content["execution_state"] == "idle": idle = True
            elif kind == "execute_reply": reply = content
        tb = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(reply.get("traceback", [str(reply.get("evalue", ""))])))   # no terminal colours
        assert reply["status"] == "ok", f"cell failed in the course kernel:\n{code}\n{tb}"
        return "".join(out)

    def close(self): self.ws.close()


def exported_modules() -> set:
    "Every module the source tree holds, as an import name."
    lib = ROOT/"backprop_course"
    return {("backprop_course/" + p.relative_to(lib).with_suffix("").as_posix()).replace("/", ".").removesuffix(".__init__")
            for p in lib.rglob("*.py")} - {"backprop_course._modidx"}


def test_course_kernel_runs_a_lesson_and_imports_every_module(lab):
    base, auth, token = lab
    specs = requests.get(f"{base}/api/kernelspecs", headers=auth, timeout=10).json()["kernelspecs"]
    names = [n for n, s in specs.items() if s["spec"]["display_name"] == KERNEL_NAME]
    assert names, f"no kernel named {KERNEL_NAME!r}; found {[s['spec']['display_name'] for s in specs.values()]}"
    r = requests.post(f"{base}/api/kernels", headers=auth, json={"name": names[0]}, timeout=30)
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    kernel = Kernel(base, token, kid)
    try:
        prefix = kernel.execute("import sys; print(sys.prefix)").strip()
        assert Path(prefix).resolve() == (ROOT/".venv").resolve(), f"the course kernel runs {prefix}, not the course's .venv"
        nb = nbformat.read(ROOT/"nbs"/"00_data.ipynb", as_version=4)
        cells = [c.source for c in nb.cells if c.cell_type == "code"][:8]   # up to the first checks of the lesson
        assert any("find_spec(\"backprop_course\")" in c for c in cells) and any(c.startswith("#| export") for c in cells)
        for src in cells: kernel.execute(src)
        assert kernel.execute("print(data_dir() == REPO_DATA)").strip() == "True"
        mods = exported_modules()
        out = kernel.execute("import importlib\nfor m in %r: importlib.import_module(m)\nprint('imported', len(%r))" % (sorted(mods), sorted(mods)))
        assert out.strip() == f"imported {len(mods)}"
    finally:
        kernel.close()
        assert requests.delete(f"{base}/api/kernels/{kid}", headers=auth, timeout=30).status_code == 204
    assert requests.get(f"{base}/api/kernels", headers=auth, timeout=10).json() == []
