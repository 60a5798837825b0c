// Search result snippets: Sphinx takes them from the page's role="main" element, which in this theme also holds
// the article's header buttons ("System Settings Light Dark") and a print-only table of contents. Give it the
// article text only.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const htmlToText = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    doc.querySelectorAll(".bd-header-article, .bd-sidebar-secondary, .onlyprint, .prev-next-area, footer")
      .forEach((el) => el.remove());
    return htmlToText(doc.documentElement.outerHTML, anchor);
  };
});

// ---- Wide content (see course.css): scroll boxes with a cue, equations that fit, pictures that open full size ----
(() => {
  const article = () => document.querySelector("article") || document.body;

  // A box that scrolls sideways (a code cell, a solution, a wide table) gets a wrapper `.scroll-box` that shows a
  // cue while content is hidden on the right: `.overflows` when it is wider than its box, `.at-end` once scrolled
  // to the end.
  const boxes = new Set();
  function scrollBox(el) {
    let host = el.parentElement;
    if (!(host.classList.contains("highlight") && host.children.length === 1) && !host.classList.contains("scroll-box")) {
      host = document.createElement("div");
      el.replaceWith(host);
      host.appendChild(el);
    }
    host.classList.add("scroll-box");
    if (!boxes.has(el)) {
      boxes.add(el);
      el.addEventListener("scroll", () => update(el), { passive: true });
    }
    return host;
  }
  function update(el) {
    const host = el.parentElement;
    const over = el.scrollWidth > el.clientWidth + 1;
    host.classList.toggle("overflows", over);
    host.classList.toggle("at-end", over && el.scrollLeft + el.clientWidth >= el.scrollWidth - 1);
  }
  function markScrollers() {
    const sel = ".cell_input pre, details.solution pre, .pst-scrollable-table-container, .cell_output .output.text_html";
    for (const el of article().querySelectorAll(sel)) {
      const s = getComputedStyle(el);
      if (s.overflowX === "auto" || s.overflowX === "scroll") scrollBox(el);
    }
    boxes.forEach(update);
  }

  // A display equation wider than the column is broken into lines where it lists several equations (at
  // \qquad, \quad or ",\;" outside braces: MathJax 3 cannot break lines itself), as few lines as fit; an equation
  // still too wide, and inline maths wider than the column, is typeset smaller until it fits (not below MIN_SCALE).
  const MIN_SCALE = 0.7;
  const SEP = /\\qquad|\\quad|,\s*\\;/y, OPEN = /\\(left|begin)(?![a-zA-Z])/y, CLOSE = /\\(right|end)(?![a-zA-Z])/y;
  const at = (re, s, i) => { re.lastIndex = i; return re.exec(s); };
  function splitTop(tex) {
    const parts = [];
    let depth = 0, start = 0;
    for (let i = 0; i < tex.length; i++) {
      const ch = tex[i];
      if (ch === "\\" && "{}\\".includes(tex[i + 1] || "x")) {
        if (depth === 0 && tex[i + 1] === "\\") return [tex];    // already broken into lines: leave it alone
        i++; continue;
      }
      let m;
      if (ch === "{") depth++;
      else if (ch === "}") depth--;
      else if (at(OPEN, tex, i)) depth += 1000;
      else if (at(CLOSE, tex, i)) depth -= 1000;
      else if (depth === 0 && (m = at(SEP, tex, i))) {
        parts.push(tex.slice(start, i + (m[0].startsWith(",") ? 1 : 0)).trim());
        start = i + m[0].length; i = start - 1;
      }
    }
    parts.push(tex.slice(start).trim());
    return parts.filter((p) => p);
  }
  function lines(parts, k) {
    // k lines, each holding consecutive parts of about equal total length
    const total = parts.reduce((s, p) => s + p.length, 0), out = [];
    let line = [], acc = 0;
    for (const p of parts) {
      if (line.length && out.length < k - 1 && acc + p.length / 2 > (total * (out.length + 1)) / k) { out.push(line); line = []; }
      line.push(p); acc += p.length;
    }
    out.push(line);
    return out.map((l) => l.join(" \\qquad ")).join(" \\\\ ");
  }
  const blockWidth = (el) => {
    for (let b = el.parentElement; b; b = b.parentElement) {
      const s = getComputedStyle(b);
      if (s.display !== "inline" && s.display !== "contents" && !b.matches("span.math"))
        return b.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    }
    return Infinity;
  };
  const need = (c) => { const m = c.querySelector("mjx-math"); return m ? m.getBoundingClientRect().width : 0; };
  const avail = (c) => (c.getAttribute("display") === "true" ? c.clientWidth : blockWidth(c));
  async function typeset(div, tex) {
    const MJ = window.MathJax;
    MJ.typesetClear([div]);
    div.textContent = `\\[${tex}\\]`;
    await MJ.typesetPromise([div]);
  }
  async function fitMath() {
    const MJ = window.MathJax;
    if (!MJ || !MJ.typesetPromise || !MJ.startup || !MJ.startup.document) return;
    for (const div of article().querySelectorAll("div.math")) {
      let c = div.querySelector('mjx-container[display="true"]');
      if (!c || div.querySelector(".eqno")) continue;
      if (!div.dataset.tex) {
        const item = MJ.startup.document.getMathItemsWithin(div)[0];
        if (!item) continue;
        div.dataset.tex = item.math;
      }
      const orig = div.dataset.tex, parts = splitTop(orig);
      if (parts.length < 2) continue;
      // the one-line form if it fits, else 2, 3, ... lines until it does
      for (let k = 1; k <= parts.length; k++) {
        const tex = k === 1 ? orig : `\\begin{gathered}${lines(parts, k)}\\end{gathered}`;
        if (div.dataset.shown !== tex && (k > 1 || div.dataset.shown)) {
          await typeset(div, tex);
          div.dataset.shown = tex;
          c = div.querySelector("mjx-container");
        }
        if (need(c) <= avail(c) + 0.5) break;
      }
    }
    for (const c of article().querySelectorAll("mjx-container")) {
      c.style.fontSize = "";
      const n = need(c), a = avail(c);
      if (n > a + 0.5) c.style.fontSize = `${Math.max(MIN_SCALE, Math.floor((a / n) * 1000) / 1000) * 100}%`;
    }
  }

  // A picture shown smaller than it was drawn links to itself (open it full size) and says so; a click opens it
  // at full size over the page (scroll it; a click or Escape closes it).
  function zoomImages() {
    for (const img of article().querySelectorAll("img")) {
      let a = img.closest("a");
      if (!a) {
        a = document.createElement("a");
        a.href = img.currentSrc || img.src;
        a.className = "image-zoom";
        a.title = "Open the picture full size";
        img.replaceWith(a);
        a.appendChild(img);
      }
      if (a.classList.contains("image-zoom"))
        a.classList.toggle("scaled", img.naturalWidth > img.getBoundingClientRect().width * 1.02);
    }
  }
  document.addEventListener("click", (e) => {
    const a = e.target.closest && e.target.closest("a.image-zoom");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    const overlay = document.createElement("div");
    overlay.className = "image-zoom-overlay";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-label", "Picture at full size; click or press Escape to close");
    const img = document.createElement("img");
    img.src = a.href;
    img.alt = a.querySelector("img")?.alt || "";
    overlay.appendChild(img);
    const close = () => { overlay.remove(); document.removeEventListener("keydown", onKey); };
    const onKey = (k) => { if (k.key === "Escape") close(); };
    overlay.addEventListener("click", close);
    document.addEventListener("keydown", onKey);
    document.body.appendChild(overlay);
  });

  // <html data-course-layout="done"> once the page is laid out (tests wait for it), "pending" while it is redone
  const root = document.documentElement;
  let running = Promise.resolve();
  const fitted = { width: -1, typeset: -1 };
  function layout() {
    root.dataset.courseLayout = "pending";
    running = running.then(async () => {
      const w = article().clientWidth, typeset = document.querySelectorAll("mjx-container").length;
      if (w !== fitted.width || typeset !== fitted.typeset) {      // equations depend on the column's width only
        try { await fitMath(); } catch (e) { console.error(e); }
        Object.assign(fitted, { width: w, typeset });
      }
      markScrollers(); zoomImages();
    }).finally(() => { if (!pending) root.dataset.courseLayout = "done"; });
    return running;
  }
  let pending = 0;
  const later = () => {
    root.dataset.courseLayout = "pending";
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => { pending = 0; layout(); });
  };
  window.addEventListener("load", () => {
    layout();
    const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    if (mj) mj.then(layout);
    for (const img of document.images) if (!img.complete) img.addEventListener("load", later);
    window.addEventListener("resize", later);
    document.addEventListener("toggle", later, true);     // a <details> opened: its content is laid out now
  });
})();
