"The learner's entry point: `make lab` starts JupyterLab, which serves the lessons; then it shuts down."
import os, re, socket, subprocess, time, secrets
from pathlib import Path
import requests

ROOT = Path(__file__).resolve().parent.parent

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def test_make_lab_serves_the_lessons():
    port, token = free_port(), secrets.token_hex(16)
    cmd = ["make", "--no-print-directory", "lab", f"PORT={port}", f"LAB_ARGS=--no-browser --IdentityProvider.token={token}"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        listing, deadline = None, time.time() + 90
        while time.time() < deadline and proc.poll() is None:
            try:
                r = requests.get(f"{base}/api/contents", headers=auth, timeout=2)
                if r.status_code == 200: listing = r.json(); break
            except requests.ConnectionError: pass
            time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not answer on port {port}"
        served = {c["name"] for c in listing["content"]}
        lessons = {p.name for p in (ROOT/"nbs").glob("*.ipynb")}
        assert lessons <= served, f"lessons missing from JupyterLab: {lessons - served}"
        assert any(re.match(r"0[1-9]_", n) for n in served)
        lab = requests.get(f"{base}/lab", headers=auth, timeout=10)
        assert lab.status_code == 200 and "JupyterLab" in lab.text
        requests.post(f"{base}/api/shutdown", headers=auth, timeout=10)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None: os.killpg(proc.pid, 9)
