/* The librarians' editor: a new article's address (slug) follows its title until the
   librarian types one. The rule is the server's (GET /librarian/slug), not a copy here.
   Progressive enhancement: without this script the address is filled in from the title
   when the form is previewed or saved. */
(function () {
  "use strict";
  var form = document.querySelector("form.editor[data-slug-from]");
  if (!form) { return; }
  var title = form.querySelector("#field-title");
  var slug = form.querySelector("#field-slug");
  if (!title || !slug) { return; }
  var typed = slug.value.trim() !== "";
  var timer = null;
  slug.addEventListener("input", function () { typed = slug.value.trim() !== ""; });
  title.addEventListener("input", function () {
    if (typed) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = form.dataset.slugFrom + "?title=" + encodeURIComponent(title.value);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data && !typed) { slug.value = data.slug; } })
        .catch(function () {});
    }, 150);
  });
})();
