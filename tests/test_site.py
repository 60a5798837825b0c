"""The course website: built once per session with the real command (tools/build_docs.py, `make docs`), then
checked like a reader would: every lesson has a page, no nbdev/Quarto syntax leaks through, the API reference
is complete and cross-linked, and nothing is loaded from another host."""
import ast, functools, re, subprocess, sys, time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from nbdev.config import nbpath2html

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT/'_docs'
LIB = ROOT/'backprop_course'
BUILD_LIMIT_S = 60


def lessons():
    "Lesson notebooks, found the way the course grows: nbs/<number>_<name>.ipynb."
    return sorted((ROOT/'nbs').glob('[0-9]*.ipynb'))


def page_for(nb: Path) -> Path: return DOCS/nbpath2html(nb).name


@functools.cache
def build_site():
    "Build the whole site from scratch (nbdev processing included) once per session; shared with test_browser."
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, 'tools/build_docs.py', '--force'], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    assert r.returncode == 0, f'site build failed (exit {r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-8000:]}'
    return seconds


@pytest.fixture(scope='session')
def site():
    return build_site()


class Page(HTMLParser):
    "What the tests need from one HTML page: visible text, headings, links, and every resource it loads."
    def __init__(self, source):
        "`source`: an HTML file, or HTML text."
        super().__init__(convert_charrefs=True)
        self.text, self.prose, self.headings, self.links, self.resources = [], [], [], [], []
        self._skip = 0                    # inside <script>/<style>: not visible text
        self._pre = 0                     # inside <pre>: code, not prose
        self._heading = None
        self._section_ids = []
        self.feed(source.read_text(encoding='utf-8') if isinstance(source, Path) else source)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ('script', 'style'): self._skip += 1
        if tag == 'pre': self._pre += 1
        if tag == 'section': self._section_ids.append(a.get('id', ''))
        if re.fullmatch(r'h[1-6]', tag): self._heading = [tag, '', list(self._section_ids)]
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'script' and a.get('src'): self.resources.append(('script', a['src']))
        if tag == 'link' and a.get('href') and set((a.get('rel') or '').split()) & {'stylesheet', 'preload', 'modulepreload', 'icon', 'prefetch'}:
            self.resources.append(('link', a['href']))
        if tag in ('img', 'iframe', 'embed', 'source', 'audio', 'video', 'track') and a.get('src'): self.resources.append((tag, a['src']))
        if tag == 'object' and a.get('data'): self.resources.append((tag, a['data']))
        for u in re.findall(r'url\(\s*[\'"]?([^\'")]+)', a.get('style') or ''): self.resources.append(('style', u))

    def handle_endtag(self, tag):
        if tag in ('script', 'style'): self._skip -= 1
        if tag == 'pre': self._pre -= 1
        if tag == 'section' and self._section_ids: self._section_ids.pop()
        if self._heading and tag == self._heading[0]:
            tag, text, sections = self._heading   # sections: ids of the <section>s around it, innermost last
            self.headings.append((tag, text.replace('#', '').strip(), sections[-1] if sections else '', sections[:-1]))
            self._heading = None

    def handle_data(self, data):
        if self._skip:
            if '@import' in data or 'url(' in data: self.resources += [('style', u) for u in re.findall(r'url\(\s*[\'"]?([^\'")]+)', data)]
            return
        self.text.append(data)
        if not self._pre: self.prose.append(data)
        if self._heading: self._heading[1] += data

    @property
    def visible(self): return ''.join(self.text)

    @property
    def visible_prose(self): return ''.join(self.prose)


def exported_names():
    "(module, name, kind) for every name in backprop_course/*.py `__all__`, read from the source."
    res = []
    for py in sorted(LIB.glob('*.py')):
        body = ast.parse(py.read_text()).body
        kinds = {n.name: 'class' if isinstance(n, ast.ClassDef) else 'function'
                 for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        for node in body:
            if isinstance(node, ast.Assign) and any(getattr(t, 'id', None) == '__all__' for t in node.targets):
                res += [(py.stem, n, kinds.get(n, 'other')) for n in ast.literal_eval(node.value)]
    return res


def html_pages(): return sorted(p for p in DOCS.rglob('*.html') if '_static' not in p.parts)


def is_external(url):
    u = urlsplit(url.strip())
    return bool(u.netloc) or u.scheme not in ('', 'data')


def test_build_is_fast(site):
    assert site < BUILD_LIMIT_S, f'the site took {site:.1f} s to build (limit {BUILD_LIMIT_S} s)'


def test_home_search_and_api_pages_exist(site):
    for name in ('index.html', 'api.html', 'search.html', 'searchindex.js'):
        assert (DOCS/name).exists(), f'_docs/{name} missing'
    assert (DOCS/'_static/mathjax/tex-chtml.js').exists(), 'MathJax is not bundled into _static/mathjax'


def test_every_lesson_has_a_page_in_order(site):
    nbs = lessons()
    assert nbs, 'no lesson notebooks nbs/[0-9]*.ipynb found'
    for nb in nbs:
        page = page_for(nb)
        assert page.exists(), f'{nb.name} has no page {page.relative_to(ROOT)}'
        p = Page(page)
        assert [h for h in p.headings if h[0] == 'h1'], f'{page.name} has no title'
        assert any(l.endswith(f'/nbs/{nb.name}') for l in p.links), \
            f'{page.name} does not link to its notebook source nbs/{nb.name}'
        assert 'Run this lesson yourself' in p.visible and 'make lab' in p.visible, f'{page.name} lacks the how-to-run note'
    # the sidebar lists the lessons in their numeric order
    nav = [l.split('#')[0] for l in Page(DOCS/'index.html').links]
    pages = [page_for(nb).name for nb in nbs]
    firsts = [nav.index(p) for p in pages if p in nav]
    assert len(firsts) == len(pages), f'lessons missing from the navigation: {set(pages) - set(nav)}'
    assert firsts == sorted(firsts), f'lessons out of order in the navigation: {[nav[i] for i in sorted(firsts)]}'


def test_no_raw_directives_or_quarto_syntax(site):
    anywhere = {r'#\s*\|': 'an nbdev/Quarto #| directive', r'\{target=': 'a Quarto link attribute',
                r'output-file:': 'Quarto front matter', r'AUTOGENERATED! DO NOT EDIT': "nbdev's autogenerated warning"}
    in_prose = {r'^\s*:::': 'an unrendered fenced div', r'^\s*```': 'an unrendered code fence',
                r'^\s*\(\S+\)=\s*$': 'an unrendered MyST target'}
    for page in html_pages():
        p = Page(page)
        for pats, text in ((anywhere, p.visible), (in_prose, p.visible_prose)):
            for pat, what in pats.items():
                m = re.search(pat, text, re.M)
                assert not m, f'{page.name} shows {what}: ...{text[max(0, m.start() - 80):m.end() + 80]!r}...'


def api_entries():
    "{(module, name): section id} of the API reference: each name's heading inside its module's section."
    heads = Page(DOCS/'api.html').headings
    modules = {sid: text for tag, text, sid, _ in heads if tag == 'h2'}
    return {(modules[outer], text): sid for tag, text, sid, parents in heads
            if tag in ('h3', 'h4') for outer in parents[-2:] if outer in modules}


def test_api_reference_lists_every_export(site):
    names = exported_names()
    assert names, 'no exported names found in backprop_course/*.py __all__'
    entries = api_entries()
    missing = [f'{m}.{n}' for m, n, _ in names if (f'{LIB.name}.{m}', n) not in entries]
    assert not missing, f'exported but missing from the API reference: {missing}'
    html = (DOCS/'api.html').read_text()
    for mod, name, kind in names:
        sid = entries[(f'{LIB.name}.{mod}', name)]
        # the entry has the show_doc signature and links to where the lesson explains it
        m = re.search(rf'<section id="{re.escape(sid)}">(.*?)</section>', html, re.S)
        assert m, f'API entry for {mod}.{name} is not a section'
        assert '<pre>' in m.group(1), f'API entry for {mod}.{name} has no signature block'
        if kind != 'other':
            assert re.search(r'href="[\w.-]+\.html#showdoc-', m.group(1)), f'API entry for {mod}.{name} does not link to its lesson'


def test_lessons_link_to_api_reference(site):
    "Each exported function and class is linked from its lesson page to its API entry (and back: see above)."
    entries = api_entries()
    links = {l for nb in lessons() for l in Page(page_for(nb)).links if l.startswith('api.html#')}
    for link in links: assert link.split('#')[1] in entries.values(), f'a lesson links to a missing API entry {link}'
    unlinked = [f'{m}.{n}' for m, n, kind in exported_names()
                if kind in ('function', 'class') and f"api.html#{entries[(f'{LIB.name}.{m}', n)]}" not in links]
    assert not unlinked, f'no lesson page links to the API entry of: {unlinked}'


def test_no_page_loads_anything_from_another_host(site):
    for page in html_pages():
        ext = [(kind, url) for kind, url in Page(page).resources if is_external(url)]
        assert not ext, f'{page.relative_to(DOCS)} loads from other hosts: {ext}'
    for css in DOCS.rglob('*.css'):
        ext = [u for u in re.findall(r'url\(\s*[\'"]?([^\'")]+)', css.read_text(errors='replace')) if is_external(u)]
        ext += re.findall(r'@import\s+[\'"](https?:[^\'"]+)', css.read_text(errors='replace'))
        assert not ext, f'{css.relative_to(DOCS)} pulls from other hosts: {ext}'


def test_links_lead_to_pages_the_site_builds(site):
    """Every link between pages of the site reaches a page (and an anchor) that exists, including the site's own
    absolute address that nbdev writes: no link to a page the site does not build (a solutions notebook, say)."""
    import tomllib
    doc_url = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['urls'].get('Documentation', '').rstrip('/')
    ids, bad = {}, []
    def ids_of(f):
        if f not in ids: ids[f] = set(re.findall(r'\bid="([^"]+)"', f.read_text(encoding='utf-8')))
        return ids[f]
    for page in html_pages():
        for href in Page(page).links:
            if doc_url and href.startswith(doc_url + '/'): href = href[len(doc_url) + 1:]
            elif is_external(href) or href.startswith(('mailto:', 'javascript:')): continue
            path, _, anchor = href.partition('#')
            target = (page.parent/path).resolve() if path else page
            if target.is_dir(): target = target/'index.html'
            if not target.exists(): bad.append(f'{page.name}: {href} (no such page)')
            elif anchor and target.suffix == '.html' and anchor not in ids_of(target): bad.append(f'{page.name}: {href} (no such anchor)')
    assert not bad, f'{len(bad)} links lead nowhere:\n  ' + '\n  '.join(bad[:30])


def test_favicon(site):
    "Every page names the site's icon, and it is there."
    for page in html_pages():
        icons = [u for kind, u in Page(page).resources if kind == 'link' and 'favicon' in u]
        assert icons, f'{page.name} has no favicon'
        assert (page.parent/icons[0]).exists(), f'{page.name}: {icons[0]} is missing'
