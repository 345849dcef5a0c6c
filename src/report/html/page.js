(function () {
  "use strict";
  // Filters for the drill-down. Without script the form stays hidden and every block shows.
  var form = document.getElementById("filters");
  if (!form) return;
  form.hidden = false;
  var all = function (selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  };
  var rules = all("details.rule");
  var duties = all("details.duty");
  var accounts = all("section.account");
  var shown = document.getElementById("shown");
  var value = function (name) { return form.elements[name].value; };
  var checked = function (name) { return form.elements[name].checked; };

  function apply() {
    var severity = value("severity"), account = value("account"), rule = value("rule");
    var statuses = {
      fail: checked("fail"), expired: checked("expired"),
      waived: checked("waived"), baselined: checked("baselined")
    };
    var quiet = checked("quiet");
    var count = 0;
    rules.forEach(function (block) {
      var match = (severity === "" || +block.dataset.sev >= +severity) &&
        (account === "" || block.dataset.account === account) &&
        (rule === "" || block.dataset.rule === rule);
      var listed = 0;
      all(".finding, .more", block).forEach(function (item) {
        var show = match && statuses[item.dataset.status] === true;
        item.classList.toggle("hide", !show);
        if (show) listed += +(item.dataset.count || 1);
      });
      var state = block.dataset.state;
      var keep = match && (listed > 0 || state === "error" ||
        (quiet && state !== "fail" && block.dataset.findings === "0"));
      block.classList.toggle("hide", !keep);
      count += listed;
    });
    duties.forEach(function (duty) {
      duty.classList.toggle("hide", !duty.querySelector("details.rule:not(.hide)"));
    });
    accounts.forEach(function (section) {
      var other = account !== "" && section.dataset.account !== account;
      section.classList.toggle("hide", other || !section.querySelector("details.duty:not(.hide)"));
    });
    shown.textContent = count.toLocaleString("en-US") + (count === 1 ? " finding matches" : " findings match");
  }

  // A heat-map cell links to an account's duty: open it (and what holds it) and show it.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView();
  }

  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  window.addEventListener("hashchange", openTarget);
  apply();
  openTarget();
})();
