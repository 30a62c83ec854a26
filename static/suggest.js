/* Suggestions as you type, as an accessible combobox (WAI-ARIA 1.2 pattern).
   Progressive enhancement: without this script the search form works as before.
   Two uses: the search box (choosing a suggestion opens the article) and the editor's
   related-article picker (input[data-pick-into]: choosing one adds its address to the
   textarea named there, one per line, and the picker is shown only when this runs). */
(function () {
  "use strict";
  var counter = 0;

  function enhance(input) {
    var form = input.form;
    var id = "suggest-" + (++counter);
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var items = [];
    var active = -1;
    var timer = null;
    var asked = "";
    // The page's language: suggestions come from its articles, and the words below are
    // the page's own (the form carries them, translated with the rest of the page).
    var lang = input.getAttribute("data-lang") || (form && form.getAttribute("data-lang")) ||
      document.documentElement.lang || "en";
    var label = (form && form.getAttribute("data-suggestions-label")) || "Suggestions";
    var counted = (form && form.getAttribute("data-suggestions-count")) ||
      "{count} suggestions. Use the up and down arrow keys to choose.";

    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", label);
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    form.classList.add("has-suggestions");
    input.insertAdjacentElement("afterend", list);
    form.appendChild(status);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.children;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      var into = input.dataset.pickInto && document.getElementById(input.dataset.pickInto);
      if (!into) {
        window.location.assign(item.url);
        return;
      }
      var lines = into.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
      if (lines.indexOf(item.slug) < 0) { lines.push(item.slug); }
      into.value = lines.join("\n");
      input.value = "";
      close();
      status.textContent = "Added " + item.title + " (" + item.slug + ") to the related articles.";
    }

    function render(suggestions) {
      items = suggestions;
      list.textContent = "";
      suggestions.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = item.name;
        if (item.name !== item.title) {
          var target = document.createElement("span");
          target.className = "suggestion-target";
          target.textContent = " → " + item.title;
          option.appendChild(target);
        }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { choose(i); });
        list.appendChild(option);
      });
      if (suggestions.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = counted.replace("{count}", suggestions.length);
      } else {
        close();
        status.textContent = "";
      }
      active = -1;
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      if (!text) { render([]); return; }
      asked = text;
      fetch("/api/suggest?lang=" + encodeURIComponent(lang) + "&q=" + encodeURIComponent(text),
            { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (asked === text) { render(data.suggestions || []); } })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { fetchSuggestions(); return; }
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        } else if (input.dataset.pickInto) {
          event.preventDefault();  // a picker never submits the editor's form
        }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("form[role=search] input[name=q]").forEach(enhance);
  document.querySelectorAll("input[data-pick-into]").forEach(function (input) {
    enhance(input);
    input.closest(".picker").hidden = false;
  });
})();
