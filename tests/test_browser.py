"""The course website in a real browser: each page of the built site (home, every lesson, API reference) is served
from 127.0.0.1 and opened in headless Chromium with every other host unreachable. The test checks that MathJax
typeset every formula (no raw TeX, no TeX errors), that every image loaded, and saves a full-page screenshot of
each page to artifacts/screenshots/. Without Chromium the test is skipped, except in CI (env CI set): there it fails."""
import html, io, json, os, re, shutil, subprocess, tempfile, threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from test_site import DOCS, ROOT, Page, build_site, lessons, page_for

SHOTS = ROOT/'artifacts'/'screenshots'
WIDTH, MAX_HEIGHT = 1280, 16000          # Chromium cannot capture much taller than 16k pixels

# Injected into every HTML page this test server sends (never into the site itself): once MathJax has
# finished typesetting, record what the test needs as attributes of <html>, where --dump-dom shows them.
PROBE = """<script>
window.addEventListener('load', () => {
  const root = document.documentElement;
  const report = () => {
    root.setAttribute('data-probe-images', JSON.stringify([...document.images].map(
      i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])));
    // where the text ends (the window is taller than most pages and the footer sticks to its bottom)
    const ends = [...document.querySelectorAll('article > *, .prev-next-area, .bd-sidebar-primary nav')]
      .map(e => e.getBoundingClientRect().bottom + window.scrollY);
    root.setAttribute('data-probe-height', String(Math.ceil(Math.max(800, ...ends) + 60)));
    const y = new URLSearchParams(location.search).get('probe_scroll');   // later parts of a long page
    if (y) document.body.style.transform = 'translateY(-' + Number(y) + 'px)';  // (headless screenshots ignore scrolling)
    root.setAttribute('data-probe-done', '1');
  };
  const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (mj) mj.then(report, e => { root.setAttribute('data-probe-mathjax-error', String(e)); report(); });
  else report();
});
</script>"""


def find_chromium():
    "The first Chromium that runs ($CHROMIUM, else Debian's `chromium`, else other names it goes by)."
    for name in (os.environ.get('CHROMIUM'), 'chromium', 'chromium-browser', 'google-chrome'):
        if not name or not (path := shutil.which(name)): continue
        try: ok = subprocess.run([path, '--version'], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired): ok = False   # e.g. Ubuntu's snap stub without the snap
        if ok: return path
    return None


@pytest.fixture(scope='module')
def chromium():
    path = find_chromium()
    if path: return path
    msg = ('Chromium not found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome): the browser test '
           'of the site needs it. Install it with `apt-get install chromium`.')
    if os.environ.get('CI', '').lower() not in ('', '0', 'false', 'no'): pytest.fail(msg + ' CI is set, so this is a failure, not a skip.')
    pytest.skip(msg)


class Handler(SimpleHTTPRequestHandler):
    "Serves _docs/, adding the probe to HTML pages, and remembers every path requested."
    requested = []

    def __init__(self, *a, **kw): super().__init__(*a, directory=str(DOCS), **kw)

    def log_message(self, *a): pass

    def send_head(self):
        Handler.requested.append(self.path.split('?')[0])
        path = Path(self.translate_path(self.path))
        if path.is_dir(): path = path/'index.html'
        if path.suffix != '.html' or not path.exists(): return super().send_head()
        body = path.read_text(encoding='utf-8').replace('</body>', PROBE + '</body>').encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope='module')
def server():
    build_site()
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()
    httpd.server_close()


def run_chromium(chromium, *args, timeout=90):
    with tempfile.TemporaryDirectory() as profile:
        cmd = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
               '--disable-background-networking', '--disable-component-update', '--disable-sync',
               '--disable-dev-shm-usage', f'--user-data-dir={profile}',
               # every host but this machine is unreachable: the page must render from the local server alone
               '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--virtual-time-budget=15000', *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return r


def pages():
    "Every page a reader opens: home, each lesson (from nbs/[0-9]*.ipynb) and the API reference."
    return ['index.html'] + [page_for(nb).name for nb in lessons()] + ['api.html']


def visit(chromium, url, shot, height=MAX_HEIGHT):
    "Open `url` in a window `height` pixels tall, save a screenshot of it to `shot`, return the DOM after MathJax."
    r = run_chromium(chromium, f'--window-size={WIDTH},{height}', '--hide-scrollbars', f'--screenshot={shot}',
                     '--dump-dom', url)
    assert r.returncode == 0 and '<html' in r.stdout, f'Chromium could not open {url}: {r.stderr[-2000:]}'
    return r.stdout


def crop(shot, height):
    "Cut the blank window below the page off a screenshot."
    try: from PIL import Image          # Pillow comes with matplotlib
    except ImportError: return
    with Image.open(shot) as im: im.load()
    if im.height > height: im.crop((0, 0, im.width, height)).save(shot)


def probe(dom, name):
    m = re.search(rf'data-probe-{name}="([^"]*)"', dom[:5000])
    return html.unescape(m.group(1)) if m else None


@pytest.mark.parametrize('name', pages())
def test_page_renders_in_chromium(chromium, server, name):
    url = f'{server}/{name}'
    SHOTS.mkdir(parents=True, exist_ok=True)
    stem = name.replace('.html', '')
    for old in SHOTS.glob(f'{stem}*.png'): old.unlink()
    shot = SHOTS/f'{stem}.png'
    dom = visit(chromium, url, shot)
    assert probe(dom, 'done') == '1', f'{name}: the page did not finish loading (MathJax never finished?)'
    assert probe(dom, 'mathjax-error') is None, f'{name}: MathJax failed: {probe(dom, "mathjax-error")}'

    # math: every formula the page has was typeset by MathJax, none with a TeX error
    static = (DOCS/name).read_text(encoding='utf-8')
    n_math = len(re.findall(r'class="math[ "]', static))
    n_typeset = dom.count('<mjx-container')
    if n_math:
        assert n_typeset >= n_math, f'{name}: {n_math} formulas in the page but only {n_typeset} typeset by MathJax'
        assert '<mjx-merror' not in dom, f'{name}: MathJax reports a TeX error: ' + \
            re.search(r'<mjx-merror[^>]*>.{0,300}', dom, re.S).group(0)
        leftover = re.findall(r'\\\(|\\\[|\$\$', Page(dom).visible_prose)
        assert not leftover, f'{name}: raw TeX delimiters left in the text: {leftover[:5]}'

    # images: as many as the built page has, each one fetched from this server and decoded
    images = json.loads(probe(dom, 'images') or '[]')
    n_static = len(re.findall(r'<img\b', static))
    assert len(images) >= n_static, f'{name}: {n_static} <img> in the page but {len(images)} in the browser'
    broken = [src for src, ok in images if not ok]
    assert not broken, f'{name}: images that did not load: {broken}'
    for src, _ in images:
        if src.startswith('_images/'):
            assert (DOCS/src).exists(), f'{name}: {src} is not in _docs/'
            assert '/' + src in Handler.requested, f'{name}: the browser never requested {src}'

    # screenshots of the whole page, for people to look at (CI keeps artifacts/screenshots as a build artifact)
    assert shot.exists() and shot.stat().st_size > 10_000, f'{name}: no screenshot'
    height = int(probe(dom, 'height') or MAX_HEIGHT)
    crop(shot, height)
    for part in range(1, -(-height // MAX_HEIGHT)):          # pages taller than one window: one shot per window
        more = SHOTS/f'{stem}-{part + 1}.png'
        visit(chromium, f'{url}?probe_scroll={part * MAX_HEIGHT}', more, max(800, min(MAX_HEIGHT, height - part * MAX_HEIGHT)))
        assert more.exists(), f'{name}: no screenshot of part {part + 1}'


def test_search_finds_a_lesson(chromium, server, tmp_path):
    "The site's own search (Sphinx's index, no service) finds the last lesson by a word of its title."
    nb = lessons()[-1]
    page = page_for(nb).name
    title = next(t for tag, t, _, _ in Page(DOCS/page).headings if tag == 'h1')
    word = max(re.findall(r'[A-Za-z]{4,}', title), key=len)
    dom = visit(chromium, f'{server}/search.html?q={word}', tmp_path/'search.png', 1000)
    results = re.findall(r'<ul[^>]*class="search"[^>]*>(.*?)</ul>', dom, re.S)
    assert results, f'the search page shows no results list for {word!r}'
    assert re.search(rf'href="{re.escape(page)}[?#"]', results[0]), \
        f'searching for {word!r} (from the title {title!r}) does not find {page}'
    assert 'Light' not in Page(results[0]).visible, 'search snippets show the theme buttons, not the text'
