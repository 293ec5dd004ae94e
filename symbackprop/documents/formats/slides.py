"""HTML slides for a lecture (:mod:`..decks`): one self-contained file, the same frames and
steps as the Beamer deck. Math is MathML (latex2mathml, as the HTML documents), pictures
inline SVG, the style and the script inline: no link, no web font, nothing fetched.

One slide fills the window at 16:9; the arrow keys, Page Up / Page Down and the space bar
move a step (a step uncovers the next block, or the next numbers of a picture), Home and
End go to the first and the last; the counter shows the step of the whole deck, and the
address keeps it (``#12``), so that a reload stays on the slide.
"""

from __future__ import annotations

import html as _html

from ..decks import build
from ..decks.frames import Deck, Frame, Picture, grouped
from ..model import Equations, Paragraph, Table
from .html import equations, inline, table

STYLE = """html, body { margin: 0; height: 100%; background: #222; overflow: hidden; }
body { font-family: Georgia, "Times New Roman", serif; color: #111; }
.frame { display: none; box-sizing: border-box; position: absolute; background: #fff;
  width: min(100vw, calc(100vh * 16 / 9)); height: min(100vh, calc(100vw * 9 / 16));
  left: 0; right: 0; top: 0; bottom: 0; margin: auto; padding: 2.2% 3.5% 3% 3.5%;
  font-size: min(2.05vw, 3.65vh); line-height: 1.3; overflow: hidden; }
.frame.current { display: block; }
.frame h2 { margin: 0 0 0.5em 0; font-size: 1.45em; font-weight: normal; color: #23238e; }
.frame.title { text-align: center; padding-top: 17%; }
.frame.title h1 { font-weight: normal; color: #23238e; font-size: 2em; margin: 0 0 0.4em 0; }
.frame.title p { color: #23238e; }
.frame p { margin: 0.3em 0; }
math[display="block"] { margin: 0.35em 0; }
math[display="block"] mtd { padding: 0.1em 0; }
mtd[columnalign="left"] { text-align: left; } mtd[columnalign="right"] { text-align: right; }
table { border-collapse: collapse; margin: 0.4em auto; }
th, td { padding: 0.1em 0.6em; border-bottom: 1px solid #ccc; }
th { border-bottom: 2px solid #333; text-align: left; }
td.r { text-align: right; } td.c { text-align: center; }
.picture { text-align: center; }
.picture svg { max-width: 100%; width: auto; }
.overprint { display: grid; } .overprint > * { grid-area: 1 / 1; }
[data-at].later { visibility: hidden; }
.only.elsewhere { visibility: hidden; }
#counter { position: fixed; right: 1em; bottom: 0.6em; font: 14px sans-serif; color: #888; z-index: 2; }"""

SCRIPT = """(function () {
  var frames = Array.prototype.slice.call(document.querySelectorAll(".frame"));
  var pages = [];
  frames.forEach(function (f, i) {
    var n = parseInt(f.getAttribute("data-steps"), 10);
    for (var k = 1; k <= n; k++) pages.push([i, k]);
  });
  var page = 0;
  var counter = document.getElementById("counter");
  function show(p) {
    page = Math.max(0, Math.min(pages.length - 1, p));
    var frame = pages[page][0], step = pages[page][1];
    frames.forEach(function (f, i) { f.classList.toggle("current", i === frame); });
    frames[frame].querySelectorAll("[data-at]").forEach(function (e) {
      var at = parseInt(e.getAttribute("data-at"), 10);
      e.classList.toggle("later", at > step);
      if (e.classList.contains("only")) e.classList.toggle("elsewhere", at !== step);
    });
    counter.textContent = (page + 1) + " / " + pages.length;
    if (location.hash !== "#" + (page + 1)) history.replaceState(null, "", "#" + (page + 1));
  }
  var next = ["ArrowRight", "ArrowDown", "PageDown", " ", "Enter"];
  var back = ["ArrowLeft", "ArrowUp", "PageUp", "Backspace"];
  document.addEventListener("keydown", function (e) {
    if (next.indexOf(e.key) >= 0) show(page + 1);
    else if (back.indexOf(e.key) >= 0) show(page - 1);
    else if (e.key === "Home") show(0);
    else if (e.key === "End") show(pages.length - 1);
    else return;
    e.preventDefault();
  });
  show((parseInt(location.hash.slice(1), 10) || 1) - 1);
})();"""


def picture(block: Picture) -> str:
    svg = block.svg.replace("<svg ", '<svg style="height: %svh" ' % _vh(block.height), 1)
    return '<div class="picture">%s</div>' % svg


def _own_markers(page: str) -> str:
    """Each picture's arrow heads under ids of its own: the pictures of a deck share their
    marker ids, and a marker in a hidden slide draws nothing where it is referred to."""
    parts = page.split("<svg ")
    for i in range(1, len(parts)):
        parts[i] = parts[i].replace('id="arrow-', 'id="p%d-arrow-' % i).replace("url(#arrow-", "url(#p%d-arrow-" % i)
    return "<svg ".join(parts)


def _vh(height_mm: float) -> str:
    """A height on the Beamer slide (90 mm tall) as a share of the window's height."""
    return "%d" % round(height_mm / 90 * 100 * 0.92)


WRITERS = {Paragraph: lambda b: "<p>%s</p>" % inline(b.parts), Equations: equations, Table: table,
           Picture: picture}


def frame(f: Frame) -> str:
    out = ['<section class="frame" data-steps="%d">' % f.steps, "<h2>%s</h2>" % _html.escape(f.title)]
    for item in grouped(f):
        if isinstance(item, tuple):
            out.append('<div class="overprint">' + "".join(
                '<div class="only" data-at="%d">%s</div>' % (s.at, WRITERS[type(s.block)](s.block)) for s in item)
                + "</div>")
        elif item.at > 1:
            out.append('<div data-at="%d">%s</div>' % (item.at, WRITERS[type(item.block)](item.block)))
        else:
            out.append(WRITERS[type(item.block)](item.block))
    out.append("</section>")
    return "\n".join(out)


def document(deck: Deck) -> str:
    title = _html.escape(deck.title)
    subtitle = "\n<p>%s</p>" % _html.escape(deck.subtitle) if deck.subtitle else ""
    first = '<section class="frame title" data-steps="1">\n<h1>%s</h1>%s\n</section>' % (title, subtitle)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{title}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
            + first + "\n" + _own_markers("\n".join(frame(f) for f in deck.frames))
            + '\n<div id="counter" aria-live="polite"></div>\n<script>\n' + SCRIPT + "\n</script>\n</body>\n</html>\n")


#: What this format declares (see :data:`symbackprop.documents.FORMATS`).
EXTENSIONS = ()
FRAGMENT = False
READS = "derivation"


def render(derivation, **options) -> str:
    return document(build(derivation, "slides", **options))


__all__ = ["document", "render"]
