/* The searchable village list: an enhancement of the step-by-step picker on
   /submit/<kind>/village. Without JavaScript (or fetch) the lists work alone.
   Typing three letters or more asks /regions/villages?q=… and shows up to 15
   places as buttons; choosing one sends the picker's form with all four levels
   filled, as if each list had been chosen in turn. Texts come, translated,
   from the data-* attributes of the [data-village-search] element. */
(function () {
  "use strict";
  var box = document.querySelector("[data-village-search]");
  if (!box || !window.fetch || !box.closest) return;
  var form = box.closest("form");
  var text = box.dataset;
  var levels = ["province", "regency", "district", "village"];

  function el(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (content) node.textContent = content;
    return node;
  }

  var group = el("div", { "class": "form-group village-search" });
  var input = el("input", {
    "class": "input", id: "village-search", type: "search", autocomplete: "off",
    spellcheck: "false", "aria-describedby": "village-search-hint village-search-status"
  });
  var status = el("p", { "class": "hint", id: "village-search-status", role: "status" });
  var list = el("ul", { "class": "village-results" });
  group.appendChild(el("label", { "class": "label", "for": "village-search" }, text.label));
  group.appendChild(el("p", { "class": "hint", id: "village-search-hint" }, text.hint));
  group.appendChild(input);
  group.appendChild(status);
  group.appendChild(list);
  box.insertBefore(group, box.firstChild);

  var timer = null;
  var asked = 0;

  function show(results, more) {
    list.textContent = "";
    status.textContent = more ? text.more
      : results.length ? text.found.replace("{count}", String(results.length))
      : text.none;
    results.forEach(function (place) {
      var item = el("li", {});
      var choice = el("button", { type: "button", "class": "button button-secondary village-result" }, place.label);
      choice.addEventListener("click", function () { choose(place.code); });
      item.appendChild(choice);
      list.appendChild(item);
    });
  }

  function search() {
    var query = input.value.trim();
    var mine = ++asked;
    if (query.replace(/\s/g, "").length < 3) {
      list.textContent = "";
      status.textContent = "";
      return;
    }
    fetch(text.url + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { if (mine === asked) show(data.results, data.more); })
      .catch(function () { if (mine === asked) status.textContent = text.failed; });
  }

  function choose(code) {
    var parts = code.split(".");
    levels.forEach(function (name, depth) {
      Array.prototype.forEach.call(form.querySelectorAll("[name='" + name + "']"), function (field) {
        field.disabled = true;  // the lists' own values are not sent
      });
      form.appendChild(el("input", { type: "hidden", name: name, value: parts.slice(0, depth + 1).join(".") }));
    });
    form.submit();
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {  // Enter searches; it does not send the lists
      event.preventDefault();
      clearTimeout(timer);
      search();
    }
  });
})();
