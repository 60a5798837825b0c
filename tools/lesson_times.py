"""How long each lesson takes as a learner opens it: a fresh kernel, the machine's default thread count, every exercise
untouched. Writes `tools/lesson_times.json` and the "time" column of the lesson table in `nbs/index.ipynb` (and so of
README.md, which is generated from it).

Usage (from the repository root, with the course's environment):

    .venv/bin/python tools/lesson_times.py                 # every page, quiet machine, then a busy one
    .venv/bin/python tools/lesson_times.py 01_neuron 03_mnist_backprop --no-busy   # some pages, quiet only
    .venv/bin/python tools/lesson_times.py --table-only    # rewrite the table from the recorded json

Pages run one at a time, so each has the machine to itself. "Busy" runs each page again with a second process
beside it that keeps one core fully busy, as another program on a learner's laptop would. Thread settings such as
OMP_NUM_THREADS are removed from the kernel's environment: the learner's default is what is measured.
"""
import argparse, datetime, json, os, platform, re, subprocess, sys, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NBS, OUT = ROOT/'nbs', ROOT/'tools'/'lesson_times.json'
THREAD_VARS = ('OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'TORCH_NUM_THREADS')
LIMIT = 60        # seconds a lesson may take on a quiet machine; twice that beside a busy process
BUSY = "while True: pass"

def pages() -> list[Path]:
    "Every course page in order: the numbered notebooks of nbs/ (lessons and appendices), not the solutions."
    return sorted(NBS.glob('[0-9]*.ipynb'))

def run_page(path:Path, timeout:int=900) -> dict:
    "Execute the notebook at `path` in a fresh kernel; return its wall time and its three slowest cells."
    nb = nbformat.read(path, as_version=4)
    for v in THREAD_VARS: os.environ.pop(v, None)        # the kernel inherits this process's environment
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(NBS)}})
    t0 = time.perf_counter()
    client.execute()
    total = time.perf_counter() - t0
    cells = []
    for i, c in enumerate(nb.cells):
        ex = c.get('metadata', {}).get('execution', {})
        if 'iopub.execute_input' in ex and 'shell.execute_reply' in ex:
            a, b = (datetime.datetime.fromisoformat(ex[k].replace('Z', '+00:00')) for k in ('iopub.execute_input', 'shell.execute_reply'))
            cells.append((round((b - a).total_seconds(), 1), i))
    return dict(seconds=round(total, 1), slowest=[dict(cell=i, seconds=s) for s, i in sorted(cells, reverse=True)[:3]])

def measure(names:list[str], busy:bool) -> dict:
    "Times of the pages called `names` (all if empty): quiet, and beside a busy process if `busy`."
    chosen = [p for p in pages() if not names or p.stem in names]
    if names and len(chosen) != len(names): sys.exit(f"unknown pages: {sorted(set(names) - {p.stem for p in chosen})}")
    res = {}
    for p in chosen:
        print(f"{p.stem}: ", end='', flush=True)
        res[p.stem] = dict(quiet=run_page(p))
        print(f"{res[p.stem]['quiet']['seconds']} s", end='', flush=True)
        if busy:
            spin = subprocess.Popen([sys.executable, '-c', BUSY])
            try: res[p.stem]['busy'] = run_page(p)
            finally: spin.kill(); spin.wait()
            print(f", beside a busy process {res[p.stem]['busy']['seconds']} s", end='')
        print()
    return res

def machine() -> dict:
    import torch
    return dict(date=datetime.date.today().isoformat(), cores=os.cpu_count(), torch=torch.__version__,
                torch_threads=torch.get_num_threads(), python=platform.python_version(), machine=platform.machine())

def fmt(entry:dict|None) -> str:
    "The table's text for one page: quiet seconds, and the busy figure in brackets where there is one."
    if not entry: return '(not measured)'
    q, b = entry.get('quiet'), entry.get('busy')
    return f"{q['seconds']:.0f} s" + (f" ({b['seconds']:.0f} s)" if b else '')

ROW = re.compile(r'^\|[^|\n]*\| \[[^\]]*\]\((\d\w*)\.ipynb\)[^\n]*$', re.M)
TIME_HEAD = 'time'

def write_table(record:dict, index:Path=NBS/'index.ipynb') -> None:
    "Put each page's time into the last column of the lesson table of `index` (a column called 'time')."
    nb = nbformat.read(index, as_version=4)
    for c in nb.cells:
        if c.cell_type != 'markdown' or '| lesson |' not in c.source: continue
        lines = c.source.split('\n')
        for k, line in enumerate(lines):
            if '| lesson |' in line:
                if not line.rstrip().endswith(f'| {TIME_HEAD} |'): sys.exit(f"the lesson table's last column must be '{TIME_HEAD}'")
            elif (m := ROW.match(line)):
                cols = line.rstrip().rstrip('|').split('|')
                cols[-1] = f' {fmt(record["pages"].get(m.group(1)))} '
                lines[k] = '|'.join(cols) + '|'
        c.source = '\n'.join(lines)
    nbformat.write(nb, index)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('names', nargs='*', help='pages to measure, e.g. 01_neuron (default: all)')
    ap.add_argument('--no-busy', action='store_true', help='skip the runs beside a busy process')
    ap.add_argument('--table-only', action='store_true', help='only rewrite the table from the recorded json')
    a = ap.parse_args()
    record = json.loads(OUT.read_text()) if OUT.exists() else dict(machine={}, pages={})
    if not a.table_only:
        new = measure(a.names, busy=not a.no_busy)
        record['machine'] = machine() | dict(load_before=os.getloadavg()[0])
        for k, v in new.items(): record['pages'][k] = record['pages'].get(k, {}) | v
        record['pages'] = {p.stem: record['pages'][p.stem] for p in pages() if p.stem in record['pages']}
        OUT.write_text(json.dumps(record, indent=1) + '\n')
    write_table(record)
    subprocess.run([sys.executable, str(ROOT/'tools'/'make_readme.py')], check=True)
    slow = [k for k, v in record['pages'].items() if v['quiet']['seconds'] > LIMIT or v.get('busy', {}).get('seconds', 0) > 2 * LIMIT]
    if slow: print(f"over the limit ({LIMIT} s quiet, {2 * LIMIT} s busy): {slow}")
