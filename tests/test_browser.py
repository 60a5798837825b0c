"""The course website in a real browser, as a reader sees it on a laptop (1280 px wide) and on a phone (390 px).

Each page a reader opens (home, every lesson, the API reference) is served from 127.0.0.1 and opened in headless
Chromium, with every other host unreachable, at both widths. The test checks that
- MathJax typeset every formula (no raw TeX, no TeX errors) and every image loaded;
- nothing is cut off: no text, formula or picture runs past the column or hides inside a box that clips it. A code
  cell, a solution or a table may scroll sideways in its own box, but only with a visible cue while more is hidden on
  the right; outputs (check verdicts, messages), exercise text and equations must fit;
- a picture shown smaller than it was drawn opens at full size (it links to its own file);
- no junk: no HTML source of a progress bar, no warning with a file path, no object repr a reader did not ask for
  (`GradComparison(...)`, `np.float64(...)`), no path of the machine that ran the notebooks, no raw `$...$` TeX, no
  unfolded cell of test asserts;
and saves full-page screenshots (JPEG) of each page at both widths to artifacts/screenshots/ (CI keeps them).
`test_the_checks_can_fail` proves that each check fails on a page that has the problem: the same lesson page with
the course's CSS and JavaScript taken out, and with junk of every kind put in.

Chromium is driven over its DevTools protocol through a pipe (--remote-debugging-pipe): one browser for the whole
test, two pages at a time. Without Chromium the test is skipped, except in CI (env CI set): there it fails."""
import base64, fcntl, html, io, json, os, re, shutil, subprocess, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat, pytest

from test_site import DOCS, ROOT, Page, build_site, exported_names, lessons, page_for

SHOTS = ROOT/'artifacts'/'screenshots'
WIDTHS = {'laptop': (1280, 900, False), 'phone': (390, 844, True)}     # width, height, mobile (touch, no scroll bars)
SHOT_MAX = 16000                                                         # Chromium cannot capture much taller than 16k px


# ---------------------------------------------------------------- Chromium over the DevTools protocol

def find_chromium():
    "The first Chromium that runs ($CHROMIUM, else Debian's `chromium`, else other names it goes by)."
    for name in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome'):
        if not name or not (path := shutil.which(name)): continue
        try: ok = subprocess.run([path, '--version'], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired): ok = False   # e.g. Ubuntu's snap stub without the snap
        if ok: return path
    return None


class Browser:
    "Headless Chromium, driven over the DevTools protocol through a pipe: JSON messages ending in NUL on fds 3 and 4."
    def __init__(self, path):
        to_r, to_w = os.pipe()          # commands: we write, Chromium reads them on its fd 3
        from_r, from_w = os.pipe()      # replies and events: Chromium writes them on its fd 4
        self.profile = tempfile.mkdtemp(prefix='chromium-profile-')
        def child_fds():                # in the child, before exec: the two pipe ends become fds 3 and 4
            a, b = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10), fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3); os.dup2(b, 4)
        cmd = [path, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--disable-dev-shm-usage', '--hide-scrollbars', f'--user-data-dir={self.profile}',
               '--remote-debugging-pipe',
               # every host but this machine is unreachable: the page must render from the local server alone
               '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', 'about:blank']
        self.proc = subprocess.Popen(cmd, preexec_fn=child_fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_r); os.close(from_w)
        self.w, self.r = os.fdopen(to_w, 'wb', buffering=0), os.fdopen(from_r, 'rb', buffering=0)
        self.next_id, self.replies, self.events, self.closed = 0, {}, [], False
        self.cv, self.wlock = threading.Condition(), threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b''
        while chunk := self.r.read(1 << 20):
            *msgs, buf = (buf + chunk).split(b'\0')
            with self.cv:
                for m in map(json.loads, msgs):
                    if 'id' in m: self.replies[m['id']] = m
                    else: self.events.append(m)
                self.cv.notify_all()
        with self.cv:
            self.closed = True
            self.cv.notify_all()

    def send(self, method, session=None, timeout=60, **params):
        "Run one DevTools command (in the page `session`, if given) and return its result."
        with self.cv:
            self.next_id += 1
            i = self.next_id
        msg = {'id': i, 'method': method, 'params': params} | ({'sessionId': session} if session else {})
        with self.wlock: self.w.write(json.dumps(msg).encode() + b'\0')
        with self.cv:
            if not self.cv.wait_for(lambda: i in self.replies or self.closed, timeout):
                raise TimeoutError(f'Chromium did not answer {method} within {timeout} s')
            r = self.replies.pop(i, None)
        if r is None: raise RuntimeError(f'Chromium closed its pipe during {method}')
        if 'error' in r: raise RuntimeError(f"{method}: {r['error']}")
        return r['result']

    def wait_event(self, method, session, timeout=60):
        def take():
            for k, e in enumerate(self.events):
                if e.get('method') == method and e.get('sessionId') == session: return self.events.pop(k)
        with self.cv:
            found = []
            if not self.cv.wait_for(lambda: found.append(take()) or found[-1] or self.closed, timeout):
                raise TimeoutError(f'no {method} within {timeout} s')
            return found[-1]

    def close(self):
        try: self.send('Browser.close', timeout=10)
        except Exception: pass
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill(); self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    "One page of the browser, emulating a screen `width` x `height` CSS pixels (a phone: touch, no scroll bars)."
    def __init__(self, browser, width, height, mobile):
        self.b, self.width, self.height, self.mobile = browser, width, height, mobile
        self.target = browser.send('Target.createTarget', url='about:blank', newWindow=True)['targetId']  # visible: it paints
        self.s = browser.send('Target.attachToTarget', targetId=self.target, flatten=True)['sessionId']
        browser.send('Page.enable', self.s)
        self.resize(height)

    def resize(self, height):
        self.b.send('Emulation.setDeviceMetricsOverride', self.s, width=self.width, height=height,
                    deviceScaleFactor=1, mobile=self.mobile)

    def goto(self, url, timeout=60):
        with self.b.cv: self.b.events = [e for e in self.b.events if e.get('sessionId') != self.s]
        self.b.send('Page.navigate', self.s, url=url)
        self.b.wait_event('Page.loadEventFired', self.s, timeout)

    def js(self, expr, timeout=60):
        "Evaluate `expr` in the page (awaiting a promise) and return its value as JSON data."
        r = self.b.send('Runtime.evaluate', self.s, timeout=timeout, expression=expr, awaitPromise=True,
                        returnByValue=True)
        if 'exceptionDetails' in r:
            d = r['exceptionDetails']
            raise RuntimeError(f"JavaScript error: {d.get('exception', {}).get('description') or d.get('text')}")
        return r['result'].get('value')

    def screenshots(self, stem):
        "Save the whole page as JPEG files `stem.jpg`, `stem-2.jpg`, ... (one per 16,000 pixels of height)."
        height = 'Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight))'
        self.resize(min(self.js(height), SHOT_MAX))
        self.js(WAIT_LAYOUT)
        total = self.js(height)
        paths = []
        for k, y in enumerate(range(0, total, SHOT_MAX)):
            self.js(f'window.scrollTo(0, {y}); new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))')
            data = self.b.send('Page.captureScreenshot', self.s, format='jpeg', quality=85)['data']
            shot = Path(f'{stem}.jpg' if k == 0 else f'{stem}-{k + 1}.jpg')
            img = base64.b64decode(data)
            if y + SHOT_MAX > total and k:            # the last part: only what is left of the page
                img = crop_top(img, y + SHOT_MAX - total)
            shot.write_bytes(img)
            paths.append(shot)
        self.resize(self.height)
        return paths

    def close(self): self.b.send('Target.closeTarget', targetId=self.target)


def crop_top(img, pixels):
    "Cut `pixels` rows off the top of a JPEG image (Pillow comes with matplotlib)."
    from PIL import Image
    with Image.open(io.BytesIO(img)) as im:
        im.load()
        out = io.BytesIO()
        im.crop((0, pixels, im.width, im.height)).save(out, format='jpeg', quality=85)
    return out.getvalue()


# ---------------------------------------------------------------- what the test measures in a page

# Resolves once the page is laid out: MathJax has typeset, the pictures have loaded, and course.js (if the page has
# it) has finished its layout (equations broken or scaled to fit, scroll cues set).
WAIT_LAYOUT = r"""(async () => {
  const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (mj) await mj;
  await Promise.all([...document.images].map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; })));
  await document.fonts.ready;
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  if (document.querySelector('script[src*="course.js"]'))
    for (let t = 0; t < 300 && document.documentElement.dataset.courseLayout !== 'done'; t++)
      await new Promise(r => setTimeout(r, 50));
  await frame();
  return document.documentElement.dataset.courseLayout || 'no course.js';
})()"""

# What the page shows, as data. "Clipped": a piece of text, a formula or a picture that runs past the column, or
# past a box that does not let it show (overflow hidden, or a scroll box without a visible cue). A scroll box is
# accepted for code cells, solutions and tables when a ::before/::after cue is visible over its right edge.
PROBE = r"""(() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('article') || document.body;
  const artBox = article.getBoundingClientRect();
  const clipOf = (el) => {                       // the nearest box around `el` that does not let content show past it
    for (let a = el; a && a !== article && a !== document.documentElement; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== 'visible') return a;
    return null;
  };
  const inner = (el) => { const r = el.getBoundingClientRect();
    return { left: r.left + el.clientLeft, right: r.left + el.clientLeft + el.clientWidth }; };
  const kindOf = (el) => {
    const m = el.closest('mjx-container');
    if (m) return m.getAttribute('display') === 'true' ? 'display equation' : 'inline formula';
    if (el.closest('details.solution')) return 'solution';
    if (el.closest('.cell_input')) return 'code cell';
    if (el.closest('.cell_output')) return el.closest('table') ? 'table' : 'output';
    if (el.closest('table')) return 'table';
    if (el.closest('pre') && el.closest('pre').matches(SIGNATURE)) return 'signature';
    if (el.closest('pre')) return 'code in the text';
    return 'text';
  };
  const SIGNATURE = ':is(section[id^="showdoc-"], section[id^="apiref-"]) > div[class*="highlight-"] pre';
  const SCROLLS_OK = ['code cell', 'solution', 'table'];
  const cued = (box) => [box, box.parentElement].some((h) => h && ['::after', '::before'].some((p) => {
    const s = getComputedStyle(h, p);
    if (s.content === 'none' || s.content === 'normal' || s.display === 'none' || s.visibility !== 'visible' || +s.opacity < 0.2) return false;
    return true;
  }));
  const heading = (el) => { const s = el.closest('section'); const h = s && s.querySelector('h1,h2,h3,h4,h5,h6');
    return h ? h.textContent.replace(/#$/, '').trim() : ''; };
  const clipped = new Map();
  const check = (el, rect, text, from = el) => {      // `el` shows `rect`; the boxes that may clip it start at `from`
    const box = clipOf(from), lim = box ? inner(box) : artBox;
    const over = Math.max(rect.right - lim.right, lim.left - rect.left);
    if (over <= 1) return;
    const kind = kindOf(el);
    const scrolls = box && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
    if (scrolls && SCROLLS_OK.includes(kind) && cued(box)) return;
    const key = box || el, p = clipped.get(key);
    if (p && p.hidden >= over) return;
    clipped.set(key, { kind, section: heading(el), hidden: Math.round(over),
      how: box ? (scrolls ? 'scrolls without a visible cue' : 'cut off') : 'runs past the column',
      text: (text || '').replace(/\s+/g, ' ').trim().slice(0, 140) });
  };
  // shown: not inside a closed <details> (Chromium keeps a layout box for its hidden content)
  const shown = (el) => (el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0);
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.data.trim() || n.parentElement.closest('mjx-assistive-mml, script, style') || !shown(n.parentElement)) continue;
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) if (r.width >= 1) check(n.parentElement, r, n.data);
  }
  for (const el of article.querySelectorAll('mjx-math, img, svg, canvas, video, iframe, table')) {
    if (el.closest('mjx-assistive-mml') || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1) continue;
    const mml = el.closest('mjx-container') && el.closest('mjx-container').querySelector('mjx-assistive-mml');
    check(el, r, mml ? mml.textContent : (el.getAttribute('src') || el.textContent), el.parentElement);
  }
  const root = document.documentElement;
  const pageScroll = root.scrollWidth - root.clientWidth;
  const text = (sel, skip) => [...article.querySelectorAll(sel)].filter((e) => !(skip && e.closest(skip)))
    .map((e) => e.textContent).join('\n');
  const prose = article.cloneNode(true);
  prose.querySelectorAll('pre, code, mjx-container, script, style, .cell').forEach((e) => e.remove());
  const visibleCode = [...article.querySelectorAll('.cell_input pre')].filter(shown).map((p) => p.textContent);
  return {
    layout: root.dataset.courseLayout || null,
    width: root.clientWidth, pageScroll, clipped: [...clipped.values()],
    images: [...document.images].map((i) => {
      const a = i.closest('a[href]'), shown = i.getBoundingClientRect().width;
      return { src: i.getAttribute('src'), url: i.src, ok: i.complete && i.naturalWidth > 0, natural: i.naturalWidth,
               shown: Math.round(shown), link: a ? a.href : null, inArticle: article.contains(i) && shown > 0 };
    }),
    typeset: document.querySelectorAll('mjx-container').length,
    texErrors: [...document.querySelectorAll('mjx-merror')].map((e) => e.textContent.slice(0, 200)),
    outputs: text('.cell_output'), prose: prose.textContent,
    signatures: text(SIGNATURE),
    visibleCode,
  };
})()"""


def junk(report, classes):
    "What a reader should not find on a page: [(what, the text around it)]."
    found = []
    def look(text, pattern, what, flags=0):
        for m in re.finditer(pattern, text, flags):
            found.append((what, text[max(0, m.start() - 60):m.end() + 60].replace('\n', ' ')))
    out, prose = report['outputs'], report['prose']
    look(out, r'<(?:div|progress|style|table|span)\b[^>]*>', 'HTML source in an output (a progress bar?)')
    look(out, r'^.*\.py:\d+: \w*Warning\b.*$', 'a warning with a file path', re.M)
    look(out + prose, r'/(?:work|tmp|root|home/\w+|Users/\w+)/\S*|site-packages|ipykernel_\d+|[A-Z]:\\Users\\',
         "a path of the machine that built the site")
    look(out, r'\bnp\.(?:float|int|uint|complex|bool|str)\w*\(', 'a NumPy scalar repr')
    look(out, r'<[\w.]+ object at 0x[0-9a-f]+>', 'a default object repr')
    if classes: look(out, r'\b(?:' + '|'.join(map(re.escape, classes)) + r')\(\w+=', "the repr of a course object")
    look(prose + '\n' + report['signatures'], r'(?<![\w$])\$[^$\n]*(?:\\[A-Za-z]+|[\^_{}])[^$\n]*\$(?![\w$])', 'raw TeX between $ signs')
    look(prose, r'\\\(|\\\[|\$\$', 'raw TeX delimiters')
    for code in report['visibleCode']:
        lines = [l for l in code.splitlines() if l.strip() and not l.strip().startswith('#')]
        if lines and all(re.match(r'\s*(?:assert\b|test_\w+\()', l) or l.startswith((' ', '\t', ')')) for l in lines) \
                and re.match(r'\s*(?:assert\b|test_\w+\()', lines[0]):
            found.append(('an unfolded cell of test asserts', code[:120].replace('\n', ' ')))
    return found


def layout_problems(report):
    "What is cut off or too wide on a page: a list of readable lines (empty when all is well)."
    probs = [f"{c['kind']} in section {c['section']!r}: {c['how']}, {c['hidden']} px hidden: {c['text']!r}"
             for c in report['clipped']]
    if report['pageScroll'] > 1: probs.append(f"the page itself scrolls sideways by {report['pageScroll']} px")
    for im in report['images']:
        if im['inArticle'] and im['shown'] < im['natural'] * 0.98 and im['link'] != im['url']:
            probs.append(f"picture {im['src']} is shown at {im['shown']} of its {im['natural']} px and does not open "
                         f"at full size (no link to its own file)")
    return probs


# ---------------------------------------------------------------- serving the site

class Handler(SimpleHTTPRequestHandler):
    """Serves _docs/ and remembers every path requested. Two variants of a page, for test_the_checks_can_fail:
    under /broken/ without the course's CSS and JavaScript and with junk of every kind and wide content added,
    under /wide/ as built, with the same wide content added (and no junk)."""
    requested = []

    def __init__(self, *a, **kw): super().__init__(*a, directory=str(DOCS), **kw)

    def log_message(self, *a): pass

    def send_head(self):
        path = self.path.split('?')[0]
        Handler.requested.append(path)
        variant = next((v for v in VARIANTS if path.startswith(v)), None)
        if variant is None: return super().send_head()
        rel = path[len(variant):]
        if not rel.endswith('.html'):
            self.path = '/' + rel
            return super().send_head()
        body = VARIANTS[variant]((DOCS/rel).read_text(encoding='utf-8')).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


JUNK_HTML = {   # what each kind of junk looks like once it reaches a page, as lessons have produced it
    'progress': '<div class="cell_output"><pre>&lt;div&gt;&lt;progress max="5" value="5"&gt;&lt;/progress&gt; 100.00% [5/5 01:15&lt;00:00]&lt;/div&gt;</pre></div>',
    'warning': '<div class="cell_output"><pre>/tmp/ipykernel_7449/3136319719.py:10: UserWarning: indexing with dtype torch.uint8 is now deprecated</pre></div>',
    'repr': "<div class=\"cell_output\"><pre>GradComparison(name='dL_dZ2', exact=True, close=True, max_diff=0.0)</pre></div>",
    'numpy': '<div class="cell_output"><pre>gap by dropout p: {0.0: np.float64(0.69), 0.2: np.float64(0.4)}</pre></div>',
    'path': "<div class=\"cell_output\"><pre>Path('/work/main/data')</pre></div>",
    'tex': '<p>a parameter comment: learning rate $\\eta$, the loss $\\mathcal{L}$</p>',
    'asserts': '<div class="cell"><div class="cell_input"><pre>test_eq(x, 1)\nassert y &gt; 0</pre></div></div>',
}
WIDE_HTML = [   # content wider than a phone's column, as lessons have it: each must wrap, break or fit
    # a check's verdict, printed by a cell
    '<div class="cell docutils container"><div class="cell_output docutils container"><div class="output stream '
    'highlight-myst-ansi notranslate"><div class="highlight"><pre><span></span>neuron.2: not yet: dL_dw: expected '
    '-0.0445833722998592, got -0.0891667445997184 (the factor 2 of the mean squared error is missing or doubled); '
    "hint('neuron.2') shows the next hint\n</pre></div></div></div></div>",
    # a model written as one display equation
    '<div class="math notranslate nohighlight">\\[z^{[1]} = w^{[1]} x + b^{[1]},\\qquad a^{[1]} = \\tanh z^{[1]},\\qquad '
    'z^{[2]} = w^{[2]} a^{[1]} + b^{[2]},\\qquad a^{[2]} = \\tanh z^{[2]},\\qquad \\hat y = w^{[3]} a^{[2]} + b^{[3]}\\]</div>',
    # exercise text naming a long function
    '<p>Write <code class="docutils literal notranslate"><span class="pre">smooth_cross_entropy_grad_of_a_rather_long_name(Z,</span> '
    '<span class="pre">y,</span> <span class="pre">eps)</span></code> returning the gradient.</p>',
]

def without_fixes(page):
    "The page without the course's CSS and JavaScript (the theme's own styles stay)."
    return re.sub(r'<link[^>]*course\.css[^>]*>|<script[^>]*course\.js[^>]*></script>', '', page)

def with_added(page, parts):
    "The page with `parts` (HTML) added at the top of its article."
    return re.sub(r'(<article\b[^>]*>)', lambda m: m.group(1) + ''.join(parts), page, count=1)

VARIANTS = {'/broken/': lambda page: with_added(without_fixes(page), list(JUNK_HTML.values()) + WIDE_HTML),
            '/wide/': lambda page: with_added(page, WIDE_HTML)}


@pytest.fixture(scope='module')
def chromium():
    path = find_chromium()
    if path: return path
    msg = ('Chromium not found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome): the browser test '
           'of the site needs it. Install it with `apt-get install chromium`.')
    if os.environ.get('CI', '').lower() not in ('', '0', 'false', 'no'): pytest.fail(msg + ' CI is set, so this is a failure, not a skip.')
    pytest.skip(msg)


@pytest.fixture(scope='module')
def server():
    build_site()
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()
    httpd.server_close()


def pages():
    "Every page a reader opens: home, each lesson (from nbs/[0-9]*.ipynb) and the API reference."
    return ['index.html'] + [page_for(nb).name for nb in lessons()] + ['api.html']


@pytest.fixture(scope='module')
def browser(chromium):
    b = Browser(chromium)
    yield b
    b.close()


@pytest.fixture(scope='module')
def reports(browser, server):
    """{(page, screen): what PROBE measured}, for every page at both widths: two tabs at a time, each keeping its
    screen size; full-page screenshots of each page saved on the way."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SHOTS.glob('*.png'), *SHOTS.glob('*.jpg')]: old.unlink()
    jobs = [(p, s) for s in WIDTHS for p in pages()]
    tabs = {}                           # (thread, screen) -> its tab: each thread keeps one tab per screen size
    def run(job):
        page, screen = job
        key = (threading.get_ident(), screen)
        if key not in tabs: tabs[key] = Tab(browser, *WIDTHS[screen])
        tab = tabs[key]
        t = time.perf_counter()
        tab.goto(f'{server}/{page}')
        tab.js(WAIT_LAYOUT)
        report = tab.js(PROBE)
        t1 = time.perf_counter()
        report['screenshots'] = [str(p) for p in tab.screenshots(SHOTS/f"{page.removesuffix('.html')}-{screen}")]
        report['seconds'] = (t1 - t, time.perf_counter() - t1)
        return job, report
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool: out = dict(pool.map(run, jobs))
    for tab in tabs.values(): tab.close()
    out['seconds'] = time.perf_counter() - t0
    return out


@pytest.fixture(scope='module')
def course_classes():
    return [n for _, n, kind in exported_names() if kind == 'class']


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize('name', pages())
def test_page_renders(reports, name):
    "MathJax typeset every formula of the page without error, and every image was fetched from this server and shown."
    for screen in WIDTHS:
        r = reports[(name, screen)]
        static = (DOCS/name).read_text(encoding='utf-8')
        n_math = len(re.findall(r'class="math[ "]', static))
        assert r['typeset'] >= n_math, f'{name} ({screen}): {n_math} formulas in the page but only {r["typeset"]} typeset by MathJax'
        assert not r['texErrors'], f'{name} ({screen}): MathJax reports TeX errors: {r["texErrors"]}'
        assert r['layout'] == 'done', f'{name} ({screen}): course.js did not finish laying out the page ({r["layout"]})'
        n_static = len(re.findall(r'<img\b', static))
        assert len(r['images']) >= n_static, f'{name}: {n_static} <img> in the page but {len(r["images"])} in the browser'
        broken = [im['src'] for im in r['images'] if not im['ok']]
        assert not broken, f'{name} ({screen}): images that did not load: {broken}'
        for im in r['images']:
            if im['src'].startswith('_images/'):
                assert (DOCS/im['src']).exists(), f'{name}: {im["src"]} is not in _docs/'
                assert '/' + im['src'] in Handler.requested, f'{name}: the browser never requested {im["src"]}'
        assert r['screenshots'] and all(Path(s).stat().st_size > 5_000 for s in r['screenshots']), f'{name}: no screenshot'


@pytest.mark.parametrize('screen', list(WIDTHS))
@pytest.mark.parametrize('name', pages())
def test_nothing_is_cut_off(reports, name, screen):
    """At 1280 px and at 390 px: no text, formula or picture runs past the column or hides in a box that clips it;
    code cells, solutions and tables that scroll show a cue; pictures shown smaller than drawn open full size."""
    probs = layout_problems(reports[(name, screen)])
    assert not probs, f'{name} at {WIDTHS[screen][0]} px:\n  ' + '\n  '.join(probs[:25])


@pytest.mark.parametrize('name', pages())
def test_no_junk(reports, name, course_classes):
    "No progress-bar HTML, warnings with paths, unasked-for reprs, machine paths, raw TeX or unfolded test cells."
    found = junk(reports[(name, 'laptop')], course_classes)
    assert not found, f'{name}:\n  ' + '\n  '.join(f'{what}: ...{ctx}...' for what, ctx in found[:25])


def test_the_checks_can_fail(browser, server, course_classes):
    """Every check above fails on a page that has the problem, and passes once the site's fixes apply. The page: the
    lesson with the most display equations, plus a long check verdict, a long equation and exercise text naming a
    long function. Without the course's CSS and JavaScript, at 390 px, outputs, code cells, equations and text run past
    the column or scroll without a cue and pictures do not open full size; with junk of every kind added, each kind is
    reported. With the fixes, the same page has no layout problem."""
    def score(nb):
        static = (DOCS/page_for(nb).name).read_text(encoding='utf-8')
        return ('cell_output' in static and '<img' in static, static.count('<div class="math'))
    lesson = page_for(max(lessons(), key=score)).name
    tab = Tab(browser, *WIDTHS['phone'])
    try:
        tab.goto(f'{server}/broken/{lesson}')
        assert tab.js(WAIT_LAYOUT) == 'no course.js'
        broken = tab.js(PROBE)
        tab.goto(f'{server}/wide/{lesson}')
        assert tab.js(WAIT_LAYOUT) == 'done'
        fixed = tab.js(PROBE)
    finally: tab.close()
    kinds = {c['kind'] for c in broken['clipped']}
    for kind in ('output', 'code cell', 'display equation', 'text'):
        assert kind in kinds, f'without the fixes, no {kind} was reported cut off at 390 px on {lesson}: {kinds}'
    assert any('does not open at full size' in p for p in layout_problems(broken)), 'a scaled picture without a link went unnoticed'
    found = {what for what, _ in junk(broken, course_classes)}
    expected = {'HTML source in an output (a progress bar?)', 'a warning with a file path', 'the repr of a course object',
                'a NumPy scalar repr', 'a path of the machine that built the site', 'raw TeX between $ signs',
                'an unfolded cell of test asserts'}
    assert expected <= found, f'junk that went unnoticed: {expected - found}'
    assert not layout_problems(fixed), f'with the fixes, {lesson} plus wide content still has problems at 390 px:\n  ' + \
        '\n  '.join(layout_problems(fixed))
    assert not junk(fixed, course_classes)


def test_browser_test_is_fast(reports):
    "Both widths of every page, with screenshots, within two minutes on a busy 2-core machine (the build comes on top)."
    assert reports["seconds"] < 120, f"the browser checks took {reports['seconds']:.0f} s"


def test_search_finds_a_lesson(browser, server):
    "The site's own search (Sphinx's index, no service) finds the last lesson by a word of its title."
    nb = lessons()[-1]
    page = page_for(nb).name
    title = next(t for tag, t, _, _ in Page(DOCS/page).headings if tag == 'h1')
    others = {w.lower() for p in lessons()[:-1] for w in re.findall(r'[A-Za-z]+', nbformat.read(p, as_version=4).cells[0].source.split('\n')[0])}
    word = max([w for w in re.findall(r'[A-Za-z]{4,}', title) if w.lower() not in others] or re.findall(r'[A-Za-z]{4,}', title), key=len)
    tab = Tab(browser, *WIDTHS['laptop'])
    try:
        tab.goto(f'{server}/search.html?q={word}')
        results = tab.js("""(async () => {
          for (let t = 0; t < 200; t++) {
            const ul = document.querySelector('ul.search');
            if (ul && ul.children.length) return ul.outerHTML;
            await new Promise(r => setTimeout(r, 50));
          }
          return '';
        })()""")
    finally: tab.close()
    assert results, f'the search page shows no results for {word!r}'
    assert re.search(rf'href="[^"]*{re.escape(page)}[?#"]', results), \
        f'searching for {word!r} (from the title {title!r}) does not find {page}'
    assert 'Light' not in Page(results).visible, 'search snippets show the theme buttons, not the text'
