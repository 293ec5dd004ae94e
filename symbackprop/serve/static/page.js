// The answer page: read the answer back while typing (debounced), check it on submit.
// Plain DOM, no framework; every piece of text from the server goes in as text, the
// server's MathML (made by latex2mathml from the reader's own LaTeX) as markup.
"use strict";
(function () {
  var body = document.body;
  var token = body.dataset.token || "";
  var box = document.getElementById("answer");
  var preview = document.getElementById("preview-box");
  var result = document.getElementById("result");
  var form = document.getElementById("answer-form");
  var button = document.getElementById("submit");
  var nameInput = document.getElementById("student");
  var timer = null;
  var asked = 0;
  var WORDS = {equivalent: "Right", not_equivalent: "Not right", undecided: "Undecided",
               error: "Could not be read"};

  if (nameInput) {
    try { nameInput.value = localStorage.getItem("symbackprop-name") || ""; } catch (e) {}
    nameInput.addEventListener("change", function () {
      try { localStorage.setItem("symbackprop-name", nameInput.value); } catch (e) {}
    });
  }

  function question() {
    var picked = document.querySelector("input[name=question]:checked");
    return picked ? {id: picked.value, wrt: picked.dataset.wrt, kind: picked.dataset.kind} : null;
  }

  function student() { return nameInput ? nameInput.value.trim() : token; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function post(path, data) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(data)})
      .then(function (r) { return r.json().then(function (j) { j._status = r.status; return j; }); });
  }

  function caretLines(text, line, column) {
    var lines = text.split("\n");
    var shown = lines[Math.max(0, (line || 1) - 1)] || "";
    return shown + "\n" + " ".repeat(Math.max(0, (column || 1) - 1)) + "^";
  }

  function showPreview(reply, text) {
    preview.replaceChildren();
    if (reply.ok) {
      var math = el("div", "read");
      math.innerHTML = reply.mathml || "";
      if (!reply.mathml) math.textContent = reply.latex || "";
      preview.append(el("span", "muted", "Read as: "), math);
      return;
    }
    preview.append(el("div", "problem", reply.error || "cannot be read"));
    if (reply.column) preview.append(el("pre", "problem", caretLines(text, reply.line, reply.column)));
  }

  function askPreview() {
    var q = question();
    var text = box.value;
    if (!q) return;
    if (!text.trim()) {
      preview.replaceChildren(el("span", "muted", "Type an answer: it is read back here as math."));
      return;
    }
    var mine = ++asked;
    post("/api/preview", {answer: text, id: q.id, wrt: q.wrt, student: student() || "preview"})
      .then(function (reply) { if (mine === asked) showPreview(reply, text); })
      .catch(function () { if (mine === asked) preview.textContent = "The server cannot be reached."; });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(askPreview, 300);
  }

  function pointText(point) {
    return Object.keys(point).map(function (k) { return k + " = " + point[k]; }).join(", ");
  }

  function showResult(reply) {
    result.replaceChildren();
    result.className = "result";
    if (reply._status !== 200) {
      result.classList.add("error");
      result.append(el("p", "verdict", reply.error || "The check failed."));
      return;
    }
    result.classList.add(reply.verdict);
    result.append(el("p", "verdict", (WORDS[reply.verdict] || reply.verdict) +
                     " (" + reply.score + " of " + reply.max + ")"));
    result.append(el("p", "feedback", reply.feedback || ""));
    if (reply.error) result.append(el("p", "problem", reply.error));
    if (reply.reason) result.append(el("p", "muted", "Reason: " + reply.reason));
    var c = reply.counterexample;
    if (c) {
      result.append(el("p", "counterexample", "For example at " + (c.text || pointText(c.point)) +
                       (c.answer_text === null ? "" : ", your answer gives " + c.answer_text) +
                       ", which is not the derivative's value there."));
    }
    result.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = question();
    if (!q) return;
    if (nameInput && !nameInput.value.trim()) { nameInput.focus(); return; }
    button.disabled = true;
    result.replaceChildren(el("p", "muted", "Checking…"));
    post("/api/check", {student: student(), id: q.id, wrt: q.wrt, answer: box.value})
      .then(showResult)
      .catch(function () { showResult({_status: 0, error: "The server cannot be reached."}); })
      .then(function () { button.disabled = false; });
  });

  box.addEventListener("input", later);
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll("input[name=question]").forEach(function (radio) {
    radio.addEventListener("change", function () { result.replaceChildren(); result.className = "result"; askPreview(); });
  });
})();
