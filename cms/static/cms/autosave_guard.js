/*
 * Holds a Publish / Save draft / Submit of a NEW page until Wagtail's first autosave has answered.
 *
 * Why: in Wagtail 8.0.1 (the latest release on PyPI) the page create form autosaves with fetch() to the
 * create URL, and the first successful autosave creates the page; only when its answer arrives does the
 * `w-autosave` controller point the form at the new page's edit URL. Nothing holds a native submit in
 * the meantime, so a Publish clicked while that first autosave is still running is posted to the create
 * URL as well: Wagtail then creates the page a second time and the editor gets "This slug is already in
 * use" (or a 500 when both requests pass validation before either saves). The reverse also happens: an
 * autosave scheduled just before the click reaches the create URL while the Publish is being saved.
 *
 * What this does, on the create form only:
 * - a submit while an autosave is pending is held; the pending autosave is cancelled if it has not been
 *   sent yet, otherwise awaited; then the form is submitted natively with the button the editor pressed,
 *   to wherever the autosave left it: the new page's edit URL (so the autosaved page is published, as
 *   when Publish is clicked after an autosave), or the create URL if nothing was created;
 * - once a submit goes ahead, autosave stops, so no autosave races the editor's own submit.
 *
 * It uses only what Wagtail's admin exposes to the page (`window.wagtail.app`, the Stimulus application,
 * and the controller's `submitPromise`, `activeValue` and its cancelable `w-autosave:save` event), and
 * does nothing if that is missing. tests/browser/test_editor_journeys.py reproduces the race.
 */
(function () {
  "use strict";

  var CREATE_PATH = /\/pages\/add\//;

  function autosaveOf(form) {
    var app = window.wagtail && window.wagtail.app;
    return app ? app.getControllerForElementAndIdentifier(form, "w-autosave") : null;
  }

  function submitWith(form, submitter) {
    // form.submit() sends no submit event (no second pass through this guard) and, unlike
    // requestSubmit(submitter), still sends the button's name once w-progress has disabled it.
    if (submitter && submitter.name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      form.appendChild(input);
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  function guard(form) {
    var createAction = form.action;
    var lastSave = null;
    var submitting = false;

    form.addEventListener("w-autosave:save", function (event) {
      if (submitting) {
        event.preventDefault(); // the editor's own submit is under way: no autosave now
      } else {
        lastSave = event;
      }
    });

    // Capture phase: decide before Wagtail's own submit listeners run (they still run afterwards).
    form.addEventListener(
      "submit",
      function (event) {
        var autosave = autosaveOf(form);
        if (!autosave || !autosave.submitPromise || form.action !== createAction) {
          return;
        }
        event.preventDefault();
        submitting = true;
        autosave.activeValue = false;
        if (lastSave) {
          lastSave.preventDefault(); // cancels it if still waiting for its debounce; no effect once sent
        }
        var submitter = event.submitter;
        autosave.submitPromise.then(function () {
          submitWith(form, submitter);
        });
      },
      true,
    );

    // Bubble phase, last: a submit nobody cancelled is going ahead, so autosave stops.
    window.addEventListener("submit", function (event) {
      if (event.target !== form || event.defaultPrevented) {
        return;
      }
      submitting = true;
      var autosave = autosaveOf(form);
      if (autosave) {
        autosave.activeValue = false;
      }
    });
  }

  function init() {
    var form = document.getElementById("page-edit-form");
    if (form && CREATE_PATH.test(new URL(form.action, window.location.href).pathname)) {
      guard(form);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
