"""Sphinx configuration for the course website. Used by tools/build_docs.py (`make docs`), which writes the
source tree (translated notebooks, api.md and _site.json) and runs `sphinx-build -W -c sphinx/ ...`."""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


SITE_JSON = HERE.parent / '_proc' / '.sphinx' / 'src' / '_site.json'   # written by tools/build_docs.py
if not SITE_JSON.exists(): raise RuntimeError(f'{SITE_JSON} not found: build the site with `make docs`')
SITE = json.loads(SITE_JSON.read_text())
INFO = SITE['project']

project = SITE['title']
author = f"{INFO['name']} developers"
copyright = f"{INFO['name']} developers"
root_doc = 'index'

extensions = ['myst_nb', 'sphinx-mathjax-offline']   # MathJax 3 copied into _static/mathjax, no CDN

# MyST-NB: never execute, show the outputs committed with the notebooks
nb_execution_mode = 'off'
nb_render_markdown_format = 'myst'
nb_output_stderr = 'show'
myst_enable_extensions = ['dollarmath', 'amsmath', 'attrs_inline', 'attrs_block', 'colon_fence']
myst_heading_anchors = 3      # `page.ipynb#a-heading` links between lessons

exclude_patterns = ['_site.json']
html_static_path = [str(HERE / '_static')]
html_css_files = ['course.css']
html_js_files = ['course.js']

html_theme = 'sphinx_book_theme'
html_title = project
html_favicon = '_static/favicon.png'    # a white ∂ on the course's blue
html_copy_source = False          # the sources are translated notebooks; the real source is linked instead
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    'repository_url': INFO['repo'],
    'repository_branch': INFO['branch'],
    'use_repository_button': True,
    'use_download_button': False,
    'home_page_in_toc': False,
    'navbar_persistent': [],        # search lives in the sidebar; no extra header bar
    'show_navbar_depth': 1,
    'navigation_with_keys': False,
    'show_toc_level': 2,
    'secondary_sidebar_items': ['page-toc'],
}
html_context = {'default_mode': 'light'}


def add_notebook_source_button(app, pagename, templatename, context, doctree):
    "Header button linking each page to its notebook in the repository (nbs/<name>.ipynb)."
    page = SITE['pages'].get(pagename)
    if not page or 'header_buttons' not in context: return
    url = f"{INFO['repo']}/blob/{INFO['branch']}/{page['source']}"
    context['header_buttons'].append({
        'type': 'link', 'url': url, 'tooltip': f"Notebook source: {page['source']}",
        'icon': 'fas fa-file-code', 'label': 'notebook-source-button'})


def setup(app):
    app.connect('html-page-context', add_notebook_source_button, priority=502)
