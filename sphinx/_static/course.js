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
