/* As-you-type title suggestions for the listing search box, as a progressive enhancement: without
   JavaScript the box is a plain text field. Fills a <datalist> from /listings/suggest/?q=&kind=. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url][data-suggest-kind]");
  if (!form || !form.getAttribute("data-suggest-kind") || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  if (!input) return;
  var list = document.createElement("datalist");
  list.id = "q-suggestions";
  form.appendChild(list);
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  var url = form.getAttribute("data-suggest-url");
  var kind = form.getAttribute("data-suggest-kind");
  var timer = null, last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) return;
      last = q;
      fetch(url + "?kind=" + encodeURIComponent(kind) + "&q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" }
      })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          if (q !== input.value.trim()) return;
          list.textContent = "";
          (data.suggestions || []).forEach(function (s) {
            var option = document.createElement("option");
            option.value = s.title;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 200);
  });
})();
