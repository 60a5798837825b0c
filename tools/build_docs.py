"""Build the course website into `_docs/`, offline: `make docs` (= `.venv/bin/python tools/build_docs.py`).

nbdev's own renderer is Quarto, which cannot be installed here, so the site is built with Sphinx:

1. nbdev processes `nbs/*.ipynb` into `_proc/` (what `nbdev-proc-nbs` does: `#| hide` / `#| export` cells
   dropped, show_doc cells marked `#| echo: false` / `#| output: asis`, names linked, a Quarto front-matter raw
   cell added). We call its `proc_nbs` function directly: the CLI also tries to install Quarto, writes
   `_quarto.yml`/`nbdev.yml`/`sidebar.yml` into `nbs/` and rewrites `backprop_course/_modidx.py`, none of which
   a docs build should do. See `run_nbdev_proc` for the one processing step left out.
2. Each processed notebook is translated into a Sphinx source tree (`_proc/.sphinx/src/`): the front matter
   becomes a title, the Quarto cell options left in the code (`#| echo: false`, `#| output: asis`, ...) become
   MyST-NB cell tags, show_doc output gets anchors and links to/from the API reference, nbdev's absolute doc
   links become cross-references, and each lesson gets a "run it yourself" note with a link to its source.
   An API reference page (`api.md`) is generated from the show_doc output of every exported name.
   What a reader should not see is handled here, for whatever a lesson outputs: a cell's leading and trailing
   `assert`/`test_*` statements are folded into "Show the checks" toggles (a cell of checks only is folded whole);
   a progress bar is shown as the bar (not its HTML source as code) and fastprogress's <style> output is dropped;
   warnings lose the file path of the machine that ran the notebook; NumPy scalar reprs (`np.float64(0.69)`) are
   printed as the numbers; the echoed repr of a course object after a cell printed its report is dropped; links to
   pages the site does not build keep their text and lose the link; `$...$` TeX in signature comments becomes
   plain Unicode text (`σ(z)`, `η`). Layout (wrapping, scroll cues, equations that fit, pictures that open full
   size) is sphinx/_static/course.css and course.js; tests/test_browser.py checks all of it at 1280 and 390 px.
3. `sphinx-build -W` (warnings are errors) renders it with MyST-NB (no execution: the committed outputs are
   shown), sphinx-book-theme and an offline MathJax into `_docs/`.

Options: `--force` re-processes every notebook (nbdev caches `_proc/` by modification time).
"""
import argparse, ast, json, os, re, shutil, subprocess, sys, time, tomllib
from pathlib import Path

import nbformat, yaml
from nbdev.config import nbpath2html

ROOT = Path(__file__).resolve().parents[1]
NBS, PROC, OUT = ROOT/'nbs', ROOT/'_proc', ROOT/'_docs'
WORK = PROC/'.sphinx'                 # dot-folder: nbdev's stale-file cleanup of _proc leaves it alone
SRC, DOCTREES, OUT_TMP = WORK/'src', WORK/'doctrees', WORK/'out'/'html'
CONF_DIR = ROOT/'sphinx'
CELL_KEYS = {'code': {'id', 'cell_type', 'metadata', 'source', 'outputs', 'execution_count'},
             'markdown': {'id', 'cell_type', 'metadata', 'source', 'attachments'},
             'raw': {'id', 'cell_type', 'metadata', 'source', 'attachments'}}
LESSON_RE = re.compile(r'^\d+[a-z]?_.*\.ipynb$')     # 01_neuron, and 00a_notation for pages between lessons
WIDGET_MIME = 'application/vnd.jupyter.widget-view+json'
RESERVED = {'index', 'api', 'search', 'genindex'}      # page names the site itself uses

def project_info():
    "Settings the site needs, from pyproject.toml."
    pp = tomllib.loads((ROOT/'pyproject.toml').read_text())
    nbd = pp.get('tool', {}).get('nbdev', {})
    urls = pp['project'].get('urls', {})
    lib = nbd.get('lib_path', pp['project']['name'])
    repo = urls['Repository'].rstrip('/')
    doc_url = urls.get('Documentation', '').rstrip('/')
    return dict(name=pp['project']['name'], lib=lib, repo=repo, branch=nbd.get('branch', 'main'), doc_url=doc_url,
                nbs_dir=nbd.get('nbs_path', 'nbs'))

def lesson_notebooks():
    "Lesson notebooks in course order (numeric prefix)."
    return sorted((p for p in NBS.glob('*.ipynb') if LESSON_RE.match(p.name)), key=lambda p: p.name)

# ---------------------------------------------------------------- step 1: nbdev processing

def run_nbdev_proc(force=False):
    """Process nbs/ into _proc/ with nbdev's `proc_nbs` (the work of `nbdev-proc-nbs`, minus its side effects),
    without nbdev's `exec_show_docs` step. The course commits its notebooks executed, so every show_doc output is
    already there, identical to what nbdev would recompute; re-running a lesson's import cells at docs time is slow
    (torch, data loading) and breaks on cells that mix imports with lesson code. A show_doc cell that nbdev adds
    for an exported name the lesson did not document is rendered later, in `Site.fill_show_docs`."""
    os.chdir(ROOT)                   # nbdev's processors call `get_config()` from the working directory
    import nbdev.processors
    from nbdev.serve import proc_nbs
    base_procs = nbdev.processors.FilterDefaults.base_procs
    nbdev.processors.FilterDefaults.base_procs = lambda self: [p for p in base_procs(self) if p is not nbdev.processors.exec_show_docs]
    proc_nbs(str(NBS), n_workers=0, force=force)      # in this process, so the change above applies
    missing = [p.name for p in lesson_notebooks() + [NBS/'index.ipynb'] if p.exists() and not (PROC/p.name).exists()]
    if missing: sys.exit(f'nbdev did not process: {missing}')

# ---------------------------------------------------------------- step 2: translation helpers

_fence_re = re.compile(r'^(`{3,}|~{3,})')
def heading_levels(md):
    "Levels of the ATX headings in markdown `md`, skipping fenced code."
    levels, fence = [], None
    for line in md.splitlines():
        m = _fence_re.match(line.strip())
        if m:
            if fence is None: fence = m.group(1)[0]
            elif m.group(1)[0] == fence: fence = None
            continue
        if fence is None and (h := re.match(r'^(#{1,6})\s+\S', line)): levels.append(len(h.group(1)))
    return levels

def split_directives(src):
    "Split leading `#| key: value` lines off a code cell's source: (options dict, remaining source)."
    lines = src.splitlines()
    opts, i = {}, 0
    while i < len(lines) and (m := re.match(r'^\s*#\|\s?(.*)$', lines[i])):
        body = m.group(1).strip()
        if body:
            try: d = yaml.safe_load(body)
            except yaml.YAMLError: d = None
            if isinstance(d, dict): opts.update({str(k): v for k, v in d.items()})
            else: opts[body.split()[0]] = ' '.join(body.split()[1:]) or True
        i += 1
    return opts, '\n'.join(lines[i:]).strip('\n')

def as_bool(v):
    if isinstance(v, bool): return v
    return str(v).strip().lower() not in ('false', 'no', '0', 'off')

def md_text(output):
    "The text/markdown of an output, or None."
    md = output.get('data', {}).get('text/markdown')
    return None if md is None else (''.join(md) if isinstance(md, list) else md)

_sd_re = re.compile(r'\A\s*---\s*\n\s*(?:\[source\]\((?P<src>[^)\s]+)\)(?:\{[^}\n]*\})?\s*\n)?\s*'
                    r'(?P<hashes>#{2,6})\s+(?P<name>[^\n]+?)\s*\n(?P<body>.*)\Z', re.S)
def parse_show_doc(md):
    "Split nbdev's show_doc markdown into (name, source url, body), or None if `md` is not show_doc output."
    m = _sd_re.match(md)
    if not m or '```python' not in m.group('body'): return None
    return m.group('name').strip(), m.group('src'), m.group('body').strip('\n')

def md_escape(s): return re.sub(r'([\\`*_\[\]<>#])', r'\\\1', s)

def slug(s): return re.sub(r'[^a-z0-9]+', '-', s.lower()).strip('-')   # what docutils keeps of an id

# ---------------------------------------------------------------- outputs and signatures as a reader should see them

_TEX_SYMBOLS = {
    'alpha': 'α', 'beta': 'β', 'gamma': 'γ', 'delta': 'δ', 'epsilon': 'ε', 'varepsilon': 'ε', 'eta': 'η', 'theta': 'θ',
    'lambda': 'λ', 'mu': 'μ', 'sigma': 'σ', 'tau': 'τ', 'phi': 'φ', 'varphi': 'φ', 'omega': 'ω', 'Delta': 'Δ',
    'Sigma': 'Σ', 'nabla': '∇', 'partial': '∂', 'odot': '⊙', 'cdot': '·', 'times': '×', 'top': 'ᵀ', 'sum': 'Σ',
    'prod': 'Π', 'le': '≤', 'leq': '≤', 'ge': '≥', 'geq': '≥', 'ne': '≠', 'neq': '≠', 'approx': '≈', 'infty': '∞',
    'to': '→', 'rightarrow': '→', 'leftarrow': '←', 'in': '∈', 'ell': 'ℓ', 'log': 'log', 'exp': 'exp', 'max': 'max',
    'min': 'min', 'tanh': 'tanh', 'quad': ' ', 'qquad': '  ', 'ldots': '…', 'cdots': '⋯', 'mid': '|', 'lvert': '|',
    'rvert': '|', 'prime': '′', 'left': '', 'right': '', ',': ' ', ';': ' ', ':': ' ', '!': '', ' ': ' ', '{': '{', '}': '}'}
_TEX_FONTS = {'mathcal': {'L': '𝓛'}, 'mathbb': {'R': 'ℝ', '1': '𝟙'}}

def _tex_group(s, i):
    "The argument of a TeX command at s[i:]: (text, end), a {group} or one character."
    while i < len(s) and s[i] == ' ': i += 1
    if i < len(s) and s[i] == '{':
        depth, j = 0, i
        for j in range(i, len(s)):
            depth += {'{': 1, '}': -1}.get(s[j], 0)
            if depth == 0: break
        return s[i + 1:j], j + 1
    if i < len(s) and s[i] == '\\':
        m = re.match(r'\\([a-zA-Z]+|.)', s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i:i + 1], i + 1

def tex_to_text(tex):
    r"""Inline TeX as plain Unicode text, for places that cannot typeset maths (a code block): `\sigma(z)` -> `σ(z)`,
    `e^{-z}` -> `e^(-z)`, `\frac{a}{b}` -> `a/b`, `\hat y` -> `ŷ`, `\mathcal{L}` -> `𝓛`."""
    out, i = [], 0
    while i < len(tex):
        c = tex[i]
        if c == '\\':
            m = re.match(r'\\([a-zA-Z]+|.)', tex[i:])
            name, i = m.group(1), i + len(m.group(0))
            if name.isalpha():                      # TeX drops the spaces after a command word
                while i < len(tex) and tex[i] == ' ': i += 1
            if name in ('frac', 'dfrac', 'tfrac'):
                a, i = _tex_group(tex, i); b, i = _tex_group(tex, i)
                a, b = tex_to_text(a), tex_to_text(b)
                wrap = lambda t: t if re.fullmatch(r'[\w.′ᵀ∂]+', t) else f'({t})'
                out.append(f'{wrap(a)}/{wrap(b)}')
            elif name == 'sqrt':
                a, i = _tex_group(tex, i); out.append(f'√({tex_to_text(a)})')
            elif name in ('hat', 'bar', 'tilde', 'vec'):
                a, i = _tex_group(tex, i); mark = {'hat': '\u0302', 'bar': '\u0304', 'tilde': '\u0303', 'vec': '\u20d7'}[name]
                a = tex_to_text(a); out.append(a + mark if len(a) == 1 else f'{name}({a})')
            elif name in _TEX_FONTS:
                a, i = _tex_group(tex, i); out.append(''.join(_TEX_FONTS[name].get(ch, ch) for ch in tex_to_text(a)))
            elif name in ('mathrm', 'text', 'mathbf', 'mathit', 'operatorname', 'textrm', 'boldsymbol'):
                a, i = _tex_group(tex, i); out.append(tex_to_text(a))
            else: out.append(_TEX_SYMBOLS.get(name, name))
        elif c in '^_':
            a, i = _tex_group(tex, i + 1)
            a = tex_to_text(a)
            if a in ('ᵀ', '′'): out.append(a)                               # ^\top, ^\prime
            elif len(a) == 1 or re.fullmatch(r'\[[^\]]*\]', a) or (c == '_' and re.fullmatch(r'\w+', a)): out.append(c + a)
            else: out.append(f'{c}({a})')
        elif c in '{}': i += 1
        else: out.append(c); i += 1
    return ''.join(out)

_math_in_comment_re = re.compile(r'(?<![\\$\w])\$([^$\n]+?)\$(?!\w)')
def plain_signature(md):
    "The ```python signature blocks of show_doc output with any `$...$` maths in the parameter comments as plain text."
    def block(m): return m.group(1) + _math_in_comment_re.sub(lambda t: tex_to_text(t.group(1)), m.group(2)) + m.group(3)
    return re.sub(r'(```python\n)(.*?)(\n```)', block, md, flags=re.S)

_warning_re = re.compile(r'^(?:[^\n:]*?[/\\])?[^\n/\\:]+\.py:\d+: (\w*Warning): (.*)\n?((?:[ \t]+\S.*(?:\n|$))*)', re.M)
def clean_warnings(text):
    """Python warnings as printed, `<file>:<line>: <Category>: <message>` and the source line: the category and the
    message only. The file is a path of the machine that ran the notebook (the kernel's temporary copy of the cell, a
    library's source), which tells a reader nothing; so does PyTorch's note on the C++ file that raised it."""
    def sub(m): return m.group(1) + ': ' + re.sub(r'\s*\(Triggered internally at [^)]*\)', '', m.group(2)) + '\n'
    return _warning_re.sub(sub, text)

_np_scalar_re = re.compile(r'\bnp\.(?:float|int|uint|complex)\d*\(([-+\w.]+)\)')
def plain_numbers(text):
    "NumPy 2's scalar reprs inside printed containers (`{0.1: np.float64(0.69)}`) as the numbers they are."
    return _np_scalar_re.sub(r'\1', text)

def is_style_only(o):
    "An output that only adds CSS (fastprogress's progress-bar style): nothing to see, and it would restyle the page."
    html = o.get('data', {}).get('text/html')
    html = ''.join(html) if isinstance(html, list) else html
    return bool(html) and re.fullmatch(r'\s*<style[^>]*>.*?</style>\s*', html, re.S) is not None

def progress_html(o):
    "The HTML of a progress bar output (fastprogress: a <progress> element and its one line of text), or None."
    html = o.get('data', {}).get('text/html')
    html = ''.join(html) if isinstance(html, list) else html
    return html if html and '<progress' in html else None

def _is_check(stmt):
    "A statement that only checks: `assert ...` or a call of a fastcore `test_*` function."
    if isinstance(stmt, ast.Assert): return True
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id.startswith('test_'))

def split_checks(src):
    """Split a code cell's source into (leading checks, the rest, trailing checks): the runs of `assert` and `test_*`
    statements at its start and its end, each with the comment lines just above it. None if it has none (or does not
    parse)."""
    try: body = ast.parse(src).body
    except SyntaxError: return None
    if not body or not any(_is_check(st) for st in (body[0], body[-1])): return None
    lines = src.splitlines()
    def start_of(st):   # the statement's first line, moved up over the comment lines right above it
        i = st.lineno - 1
        while i > 0 and lines[i - 1].strip().startswith('#'): i -= 1
        return i
    n_lead = next((k for k, st in enumerate(body) if not _is_check(st)), len(body))
    if n_lead == len(body): return src, '', ''
    n_trail = next(k for k, st in enumerate(reversed(body)) if not _is_check(st))
    a = start_of(body[n_lead]) if n_lead else 0
    b = start_of(body[len(body) - n_trail]) if n_trail else len(lines)
    part = lambda i, j: '\n'.join(lines[i:j]).strip('\n')
    return part(0, a), part(a, b), part(b, len(lines))

CHECKS_PROMPT = {'code_prompt_show': 'Show the checks', 'code_prompt_hide': 'Hide the checks'}
def checks_cell(src):
    "A folded code cell that holds a lesson's checks (they run with the notebook; the page shows them on request)."
    cell = nbformat.v4.new_code_cell(src)
    cell.metadata['tags'] = ['hide-input', 'checks']
    cell.metadata['mystnb'] = dict(CHECKS_PROMPT)
    return cell

# ---------------------------------------------------------------- step 2: the translation

class Site:
    def __init__(self):
        self.info = project_info()
        self.lessons = lesson_notebooks()
        self.pages = {}       # proc notebook name -> dict(doc, title, description, source)
        self.show_docs = {}   # (doc, name) -> dict(label, src, body)
        self.sd_labels = {}   # (doc, anchor as nbdev's _modidx writes it) -> label
        self.api_labels = {}  # (module, name) -> label of its API reference entry
        self.used_labels = set()
        self.unlinked = set()  # notebooks that pages link to but the site does not build (their links become text)

    def new_label(self, text):
        "A unique Sphinx label for `text` (labels ignore case: `Lin` and `lin` must not collide)."
        label, i = slug(text), 1
        while label in self.used_labels: i, label = i + 1, f'{slug(text)}-{i + 1}'
        self.used_labels.add(label)
        return label

    def nb_source_url(self, name):
        i = self.info
        return f"{i['repo']}/blob/{i['branch']}/{i['nbs_dir']}/{name}"

    # -- pass 1: names, titles and show_doc anchors of every page (links need them all before rendering)
    def scan(self):
        for name in ['index.ipynb'] + [p.name for p in self.lessons]:
            path = PROC/name
            if not path.exists(): continue
            nb = nbformat.read(path, as_version=4)
            fm = {}
            if nb.cells and nb.cells[0].cell_type == 'raw':
                src = nb.cells[0].source.strip()
                if src.startswith('---'):
                    try: fm = yaml.safe_load(src.strip('-\n')) or {}
                    except yaml.YAMLError: fm = {}
            doc = 'index' if name == 'index.ipynb' else Path(fm.get('output-file') or nbpath2html(Path(name)).name).stem
            if name != 'index.ipynb' and doc in RESERVED: doc = Path(name).stem
            title = str(fm.get('title') or name)
            self.pages[name] = dict(nb=nb, fm=fm, doc=doc, title=title, description=fm.get('description'), source=name)
        docs = [p['doc'] for p in self.pages.values()]
        if len(set(docs)) != len(docs): sys.exit(f'two notebooks map to the same page name: {sorted(docs)}')

    def fill_show_docs(self, mods):
        "Render the show_doc cells nbdev added for exported names a lesson did not document (they have no output)."
        where = {name: mod for mod, _, _, names, _ in mods for name, _ in names}
        todo = []
        for page in self.pages.values():
            for cell in page['nb'].cells:
                if cell.cell_type != 'code' or any(md_text(o) for o in cell.get('outputs', [])): continue
                m = re.fullmatch(r'show_doc\(([\w.]+)\)', split_directives(cell.source)[1].strip())
                if m and m.group(1).split('.')[0] in where: todo.append((cell, where[m.group(1).split('.')[0]], m.group(1)))
        if not todo: return
        import importlib
        from nbdev.showdoc import show_doc
        for cell, mod, name in todo:
            obj = importlib.import_module(mod)
            for part in name.split('.'): obj = getattr(obj, part)
            md = show_doc(obj)._repr_markdown_()
            cell.outputs = [nbformat.v4.new_output('display_data', data={'text/markdown': md.replace('#LNone)', ')')})]

    def collect_show_docs(self):
        for page in self.pages.values():
            doc, seen = page['doc'], set()
            for cell in page['nb'].cells:
                if cell.cell_type != 'code': continue
                for o in cell.get('outputs', []):
                    md = md_text(o)
                    sd = md and parse_show_doc(md)
                    if not sd: continue
                    nm, src, body = sd
                    if nm in seen: continue
                    seen.add(nm)
                    label = self.new_label(f'showdoc-{doc}-{nm}')
                    self.show_docs[(doc, nm)] = dict(label=label, src=src, body=body)
                    self.sd_labels.setdefault((doc, nm.lower()), label)   # nbdev's anchors are lower case

    # -- exported API, from the package source (no import needed)
    def exported(self):
        """[(module, lesson page, module description, [(name, kind)], notebook)] in lesson order, from each
        module's `__all__`; kind is 'function', 'class', the source of an assignment, or None."""
        lib = ROOT/self.info['lib']
        mods = []
        for py in sorted(lib.glob('*.py')):
            if py.name.startswith('_'): continue
            tree = ast.parse(py.read_text())
            names = []
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
                    names = ast.literal_eval(node.value)
            if not names: continue
            text = py.read_text()
            m = re.search(r'File to edit: \.\./(?:[^/\n]+/)*([^/\n]+\.ipynb)', text)
            nb_name = m.group(1) if m else None
            defs = {}
            for node in tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): defs[node.name] = 'function'
                elif isinstance(node, ast.ClassDef): defs[node.name] = 'class'
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                        if isinstance(t, ast.Name): defs[t.id] = ast.get_source_segment(text, node)
            page = self.pages.get(nb_name)
            desc = (ast.get_docstring(tree) or '').split('\n')[0]
            mods.append((f"{self.info['lib']}.{py.stem}", page, desc, [(n, defs.get(n)) for n in names], nb_name))
        order = {p.name: i for i, p in enumerate(self.lessons)}
        return sorted(mods, key=lambda m: (order.get(m[4], len(order)), m[0]))

    def find_show_doc(self, name, page_doc):
        "show_doc entry for `name`: on its own lesson page first, else anywhere."
        if (page_doc, name) in self.show_docs: return page_doc, self.show_docs[(page_doc, name)]
        for (doc, nm), sd in self.show_docs.items():
            if nm == name: return doc, sd
        return None, None

    def class_methods(self, name):
        "show_doc entries of the methods of class `name`: [(qualified name, page, entry)], first page showing each."
        res = {}
        for (d, nm), sd in self.show_docs.items():
            if nm.startswith(name + '.'): res.setdefault(nm, (nm, d, sd))
        return list(res.values())

    # -- links
    def rewrite_links(self, md):
        """Point links at the pages of this build: nbdev's absolute doc links (`<doc_url>/<page>.html#<anchor>`)
        and links between notebooks (`01_neuron.ipynb#...`, which Quarto would turn into `neuron.html`)."""
        docs = {p['doc']: p for p in self.pages.values()}
        def doc_link(doc, anchor, nb_link=False):
            a = (anchor or '').lower()
            while a and (doc, a) not in self.sd_labels and '.' in a: a = a.rsplit('.', 1)[0]  # undocumented method: its class
            if (doc, a) in self.sd_labels: return f'](#{self.sd_labels[(doc, a)]})'
            # a heading anchor written in a notebook link is kept (and checked by Sphinx); nbdev's guesses are not
            return f'](project:{doc}.ipynb' + (f'#{anchor}' if anchor and nb_link else '') + ')'
        if base := self.info['doc_url']:
            def doc_sub(m):
                if m.group(2) in docs: return '[' + m.group(1) + doc_link(m.group(2), m.group(3))
                # a page this site does not build (nbdev links names of the solutions modules too): the text alone
                self.unlinked.add(f'{m.group(2)}.html')
                return m.group(1)
            pat = re.compile(r'(?<!!)\[([^\[\]]*)\]\(' + re.escape(base) + r'/([\w./-]+?)\.html(?:#([^)\s]+))?\)')
            md = pat.sub(doc_sub, md)
        def nb_sub(m):
            page = self.pages.get(m.group(2)) if '/' not in m.group(2) else None
            if page: return '[' + m.group(1) + doc_link(page['doc'], m.group(3), nb_link=True)
            # a notebook this site does not build (a solutions notebook, a lesson not written yet): its text, no link
            self.unlinked.add(m.group(2))
            return m.group(1)
        return re.sub(r'(?<!!)\[([^\[\]]*)\]\((?:\./)?([\w./-]+\.ipynb)(?:#([^)\s]+))?\)', nb_sub, md)

    def show_doc_entry(self, doc, sd, level, labelled):
        "A lesson's show_doc output, one level below the heading it follows, with its anchor and API link."
        nm, src, body = sd
        entry = self.show_docs.get((doc, nm))
        first = entry is not None and nm not in labelled
        labelled.add(nm)
        label = entry['label'] if first else self.new_label(f'showdoc-{doc}-{nm}')
        api = self.api_links.get((doc, nm)) if first else None
        return self.show_doc_md(nm, src, body, min(level + 1, 6), label, [f'[API reference](#{api})'] if api else [])

    def show_doc_md(self, name, src, body, level, label, extra_links):
        "Markdown for one show_doc entry: anchor, heading, links line, signature and docstring."
        links = ([f'[source]({src}){{.sd-source}}'] if src else []) + extra_links
        return (f'({label})=\n{"#" * level} {md_escape(name)}\n\n'
                + ('{.sd-links}\n' + ' · '.join(links) + '\n\n' if links else '')
                + self.rewrite_links(plain_signature(body)) + '\n')

    # -- pass 2: write the Sphinx source notebooks
    def colab_url(self, name):
        "The notebook opened in Google Colab (its first cell installs the course package there)."
        i = self.info
        return f"https://colab.research.google.com/github/{i['repo'].split('github.com/', 1)[-1]}/blob/{i['branch']}/{i['nbs_dir']}/{name}"

    def run_note(self, page):
        i = self.info
        src_url = self.nb_source_url(page['source'])
        return (':::{admonition} Run this lesson yourself\n:class: tip run-yourself\n\n'
                f"This page is the notebook [`{i['nbs_dir']}/{page['source']}`]({src_url}) with its saved outputs. "
                f"[Open it in Colab]({self.colab_url(page['source'])}) to run it in your browser with nothing to install "
                '(its first cell installs the course package), or run it, change it and do the exercises on your own machine:\n\n'
                f"```sh\ngit clone {i['repo']}.git\ncd {i['repo'].rsplit('/', 1)[-1]}\nmake lab\n```\n\n"
                f"`make lab` sets up the Python environment on its first run and opens JupyterLab in `{i['nbs_dir']}/`; "
                f"open `{page['source']}` there and run the cells from the top. Without `make` (on Windows, say), "
                f"the [README]({i['repo']}#without-make-and-on-windows) lists the same steps as plain commands.\n:::")

    def title_cell(self, page, lesson):
        md = f"# {page['title']}\n"
        if page['description']: md += f"\n{{.page-description}}\n{page['description']}\n"
        if lesson: md += '\n' + self.run_note(page) + '\n'
        return nbformat.v4.new_markdown_cell(md)

    def translate(self, page, lesson):
        nb, doc = page['nb'], page['doc']
        cells = [self.title_cell(page, lesson)]
        level, labelled = 1, set()
        for cell in nb.cells:
            cell.metadata.pop('execution', None)          # a number in `total` breaks notebook-schema validation
            for k in [k for k in cell if k not in CELL_KEYS[cell.cell_type]]: del cell[k]  # nbdev's `has_sd` etc.
            if cell.cell_type == 'raw' and cell.source.strip().startswith('---') and cell is nb.cells[0]: continue
            if cell.cell_type == 'markdown':
                if cell.source.strip().startswith('<!-- WARNING: THIS FILE WAS AUTOGENERATED'): continue
                cell.source = self.rewrite_links(cell.source)
                if (lv := heading_levels(cell.source)): level = lv[-1]
                cells.append(cell)
                continue
            if cell.cell_type != 'code':
                cells.append(cell)
                continue
            opts, cell.source = split_directives(cell.source)
            tags = list(cell.metadata.get('tags', []))
            if not as_bool(opts.get('include', True)): continue
            if not as_bool(opts.get('echo', True)): tags.append('remove-input')
            out_opt = opts.get('output', True)
            if out_opt != 'asis' and not as_bool(out_opt): tags.append('remove-output')
            if str(opts.get('code-fold', 'false')).lower() == 'true': tags.append('hide-input')
            if not as_bool(opts.get('eval', True)): tags.append('not-run')      # shown as code only; see course.css
            if not as_bool(opts.get('warning', True)):
                cell.outputs = [o for o in cell.outputs if not (o.output_type == 'stream' and o.name == 'stderr')]
            outputs = []
            printed = any(o.output_type == 'stream' and o.name == 'stdout' for o in cell.get('outputs', []))
            for o in cell.get('outputs', []):
                if WIDGET_MIME in o.get('data', {}): continue   # live widgets need a kernel; lessons show a static figure
                if is_style_only(o): continue
                if (html := progress_html(o)) is not None:      # the bar itself, not its HTML source as code
                    outputs.append(nbformat.v4.new_output('display_data', data={'text/html': html}))
                    continue
                if o.output_type == 'stream':
                    o.text = plain_numbers(clean_warnings(o.text) if o.name == 'stderr' else o.text)
                    if not o.text.strip(): continue
                elif 'text/plain' in o.get('data', {}):
                    o.data['text/plain'] = plain_numbers(o.data['text/plain'])
                    if printed and o.output_type == 'execute_result' and set(o.data) == {'text/plain'} and self.echoed_repr(o.data['text/plain']):
                        continue     # a report printed, then the object it returned echoed: the repr is noise
                md = md_text(o)
                if md is not None and (sd := parse_show_doc(md)): md = self.show_doc_entry(doc, sd, level, labelled)
                else:
                    if md is None and out_opt == 'asis' and o.output_type == 'stream' and o.name == 'stdout': md = o.text
                    if md is not None:
                        md = self.rewrite_links(md)
                        if (lv := heading_levels(md)): level = lv[-1]
                if md is not None: o = nbformat.v4.new_output('display_data', data={'text/markdown': md})
                outputs.append(o)
            if 'remove-input' in tags and outputs and all(md_text(o) is not None for o in outputs):
                # markdown shown without its code (show_doc, `#| output: asis`) is page text: make it a markdown
                # cell, so its headings are sections in the page's table of contents and its targets are plain
                cells.extend(nbformat.v4.new_markdown_cell(md_text(o)) for o in outputs)
                continue
            cell.outputs = outputs
            if not cell.source.strip() and not outputs: continue
            if not cell.source.strip(): tags.append('remove-input')
            parts = None if set(tags) & {'remove-input', 'hide-input', 'not-run'} else split_checks(cell.source)
            if parts and not parts[1]:       # only checks: folded, with its outputs (if any) in view
                tags += ['hide-input', 'checks']
                cell.metadata['mystnb'] = dict(CHECKS_PROMPT)
                parts = None
            if parts:                        # checks before or after the lesson's code: folded, in cells of their own
                lead, cell.source, trail = parts
                if lead: cells.append(checks_cell(lead))
            if tags: cell.metadata['tags'] = sorted(set(tags))
            cells.append(cell)
            if parts and trail: cells.append(checks_cell(trail))
        if doc == 'index': cells.append(nbformat.v4.new_markdown_cell(self.index_contents()))
        nb.cells = cells
        nb.metadata.pop('execution', None)
        nb.metadata.pop('widgets', None)     # widget state makes MyST-NB load the widget manager from a CDN
        nb.metadata.setdefault('kernelspec', {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'})
        nbformat.validate(nb)
        nbformat.write(nb, SRC/f'{doc}.ipynb')

    def index_contents(self):
        "The site's navigation (the sidebar): the lessons in order, then the API reference."
        lessons = [self.pages[p.name]['doc'] for p in self.lessons if p.name in self.pages]
        return ('```{toctree}\n:hidden:\n:caption: Lessons\n\n' + '\n'.join(lessons) + '\n```\n\n'
                '```{toctree}\n:hidden:\n:caption: Reference\n\napi\n```\n')

    def api_page(self, mods):
        lib = self.info['lib']
        md = ['# API reference\n',
              f'Everything that `{lib}` exports, module by module. Functions and classes are shown with their '
              "signature, the comment on each parameter and the docstring (nbdev's `show_doc`), a link to the "
              'lesson that builds and explains them, and one to their source code.\n']
        for mod, page, desc, names, nb_name in mods:
            md.append(f'## {md_escape(mod)}\n')
            if desc: md.append(desc + '\n')
            if page: md.append(f"Defined in the lesson [{page['title']}](project:{page['doc']}.ipynb) "
                               f"([`{nb_name}`]({self.nb_source_url(nb_name)})).\n")
            md.append(f'```python\nfrom {mod} import *\n```\n')
            for name, kind in names:
                label = self.api_labels[(mod, name)]
                sd_doc, sd = self.find_show_doc(name, page['doc'] if page else None)
                if sd:
                    lesson = self.page_by_doc(sd_doc)
                    links = [f"explained in [{lesson['title']}](#{sd['label']})"]
                    md.append(self.show_doc_md(name, sd['src'], sd['body'], 3, label, links))
                    for nm, _, s in (self.class_methods(name) if kind == 'class' else []):
                        md.append(self.show_doc_md(nm, s['src'], s['body'], 4, self.api_labels[(mod, nm)], [f"[in the lesson](#{s['label']})"]))
                else:
                    code = kind if kind not in (None, 'function', 'class') else name
                    md.append(f'({label})=\n### {name}\n\n```python\n{code}\n```\n')
        return '\n'.join(md)

    def echoed_repr(self, text):
        "Is `text` the repr of an object of a class the package exports, e.g. `GradComparison(name='dL_dX', ...)`?"
        if not hasattr(self, '_classes'):
            self._classes = {n for _, _, _, names, _ in self.exported() for n, kind in names if kind == 'class'}
        m = re.match(r'\s*([A-Za-z_]\w*)\(\w+=', text)
        return bool(m and m.group(1) in self._classes)

    def page_by_doc(self, doc): return next(p for p in self.pages.values() if p['doc'] == doc)

    def write(self):
        if SRC.exists(): shutil.rmtree(SRC)
        SRC.mkdir(parents=True)
        self.scan()
        if 'index.ipynb' not in self.pages: sys.exit('nbs/index.ipynb is missing: it is the home page')
        mods = self.exported()
        self.fill_show_docs(mods)
        self.collect_show_docs()
        self.api_links = {}   # (page, name shown there) -> API entry label
        for mod, page, desc, names, nb_name in mods:
            for name, kind in names:
                self.api_labels[(mod, name)] = label = self.new_label(f'apiref-{mod.split(".")[-1]}-{name}')
                sd_doc, sd = self.find_show_doc(name, page['doc'] if page else None)
                if sd: self.api_links[(sd_doc, name)] = label
                for nm, d, _ in (self.class_methods(name) if kind == 'class' else []):
                    self.api_labels[(mod, nm)] = self.api_links[(d, nm)] = self.new_label(f'apiref-{mod.split(".")[-1]}-{nm}')
        self.translate(self.pages['index.ipynb'], lesson=False)
        for p in self.lessons:
            if p.name in self.pages: self.translate(self.pages[p.name], lesson=True)
        (SRC/'api.md').write_text(self.api_page(mods))
        (SRC/'_site.json').write_text(json.dumps({
            'project': self.info, 'title': self.pages['index.ipynb']['title'],
            'pages': {p['doc']: {'source': f"{self.info['nbs_dir']}/{p['source']}", 'title': p['title']} for p in self.pages.values()},
        }, indent=1))

# ---------------------------------------------------------------- step 3: Sphinx

def sphinx_build():
    """Render SRC into _docs/. Sphinx writes into _proc/.sphinx/out/html first (MyST-NB puts its `jupyter_execute/`
    folder next to the output folder, which must not be the repository root), then the result replaces _docs/."""
    for d in (DOCTREES, OUT_TMP.parent): shutil.rmtree(d, ignore_errors=True)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-W', '--keep-going', '-q',
           '-c', str(CONF_DIR), '-d', str(DOCTREES), str(SRC), str(OUT_TMP)]
    r = subprocess.run(cmd, cwd=ROOT)
    if r.returncode: sys.exit(f'sphinx-build failed (warnings are errors), exit code {r.returncode}; _docs/ left as it was')
    (OUT_TMP/'.nojekyll').touch()       # GitHub Pages: serve _static/ and _images/ as they are
    sources = OUT_TMP/'_sources'         # empty: html_copy_source is off (the real sources are linked instead)
    if sources.is_dir() and not any(sources.iterdir()): sources.rmdir()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT_TMP.rename(OUT)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--force', action='store_true', help='re-process every notebook with nbdev (ignore the _proc cache)')
    args = ap.parse_args()
    t0 = time.time()
    run_nbdev_proc(force=args.force)
    t1 = time.time()
    site = Site()
    site.write()
    if site.unlinked: print(f"links to pages the site does not build (shown as text, without the link): {', '.join(sorted(site.unlinked))}")
    t2 = time.time()
    sphinx_build()
    t3 = time.time()
    print(f'site built in {OUT.relative_to(ROOT)}/ in {t3 - t0:.1f} s '
          f'(nbdev {t1 - t0:.1f} s, translation {t2 - t1:.1f} s, sphinx {t3 - t2:.1f} s); '
          f'open {OUT.relative_to(ROOT)}/index.html')

if __name__ == '__main__': main()
