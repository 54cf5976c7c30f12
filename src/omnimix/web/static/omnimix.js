/* omnimix dashboard: draws server-built plotly figures and drives the Budget page. No external code. */
(function () {
  "use strict";
  var config = { responsive: true, displaylogo: false };
  var lang = document.documentElement.getAttribute("lang") || "en";
  /* Plotly's own words (toolbar tips, month and day names of date axes) in Chinese: the zh-CN pages are
     wholly Chinese, charts included. The bundle ships English only; this is its zh-CN locale. */
  var ZH = {
    moduleType: "locale", name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放", "Box Select": "矩形框选", "Lasso Select": "套索选择", "Pan": "平移",
      "Reset axes": "重置坐标轴", "Reset view": "重置视图", "Reset": "重置", "Zoom": "缩放", "Zoom in": "放大",
      "Zoom out": "缩小", "Download plot as a png": "下载为 PNG 图片", "Download plot": "下载图表",
      "Show closest data on hover": "悬停显示最近的数据", "Compare data on hover": "悬停比较数据",
      "Toggle Spike Lines": "切换辅助线", "Toggle show closest data on hover": "切换悬停显示最近数据",
      "Double-click to zoom back out": "双击恢复缩放", "Snapshot succeeded": "已生成快照",
      "Taking snapshot - this may take a few seconds": "正在生成快照，请稍候",
      "Error:": "错误：", "Produced with Plotly.js": "由 Plotly.js 生成", "trace": "序列"
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      date: "%Y-%m-%d", decimal: ".", thousands: ","
    }
  };
  if (lang === "zh-CN" && window.Plotly) { window.Plotly.register(ZH); config.locale = "zh-CN"; }

  function draw(el, fig) {
    if (!window.Plotly) { return; }
    var layout = fig.layout || {};
    if (lang === "zh-CN") {  /* full numbers (80,000) rather than the SI suffixes (80k) Chinese readers do not use */
      ["xaxis", "yaxis", "yaxis2"].forEach(function (ax) {
        if (ax === "yaxis2" && !layout[ax]) { return; }
        layout[ax] = Object.assign({ exponentformat: "none", separatethousands: true }, layout[ax] || {});
      });
    }
    window.Plotly.newPlot(el, fig.data, layout, config);
  }

  function drawAll() {
    var els = document.querySelectorAll(".chart[data-figure]");
    for (var i = 0; i < els.length; i++) { draw(els[i], JSON.parse(els[i].getAttribute("data-figure"))); }
  }

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) {
          var e = new Error((j.error && j.error.message) || ("HTTP " + r.status));
          e.code = j.error && j.error.code; e.details = j.error && j.error.details; throw e;
        }
        return j;
      });
    });
  }

  function budget() {
    var root = document.getElementById("budget");
    if (!root) { return; }
    var i18n = JSON.parse(root.getAttribute("data-i18n"));
    var locale = root.getAttribute("data-locale") === "zh-CN" ? "zh-CN" : "en-US";
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: root.getAttribute("data-currency"), maximumFractionDigits: 0 });
    var num = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
    var unit = root.getAttribute("data-kpi-unit");
    var weeks = JSON.parse(root.getAttribute("data-weeks") || '{"week": 1}');
    var kpiNum = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    function kpiText(v) { return v == null ? "—" : (unit === "currency" ? money.format(v) : kpiNum.format(v)); }
    var form = document.getElementById("scenario-form");
    var lastJob = null;

    function show(id, on) { var el = document.getElementById(id); if (el) { el.hidden = !on; } }
    function fill(tpl, vals) { return String(tpl || "").replace(/\{(\w+)\}/g, function (m, k) { return vals[k] == null ? m : vals[k]; }); }
    function explain(err) {
      var code = err.code && i18n["error." + err.code] ? err.code : (err.code ? "other" : null);
      if (!code) { return err.message; }
      var d = err.details || {};
      var detail = Array.isArray(d) ? d.map(function (x) { return (x.loc || []).slice(1).join(".") + ": " + x.msg; }).join("; ") : err.message;
      return fill(i18n["error." + code], { channels: (d.channels || []).join(", "), minimums: d.minimums == null ? "" : money.format(d.minimums),
        usable: d.usable == null ? "" : money.format(d.usable), detail: detail });
    }
    // a plan note or run error by its message_code in the page's language; its English message otherwise
    function noteText(n) {
      var tpl = n.message_code ? i18n["note." + n.message_code] : null;
      if (!tpl) { return n.message; }
      var p = n.params || {}, ch = p.channel;
      return fill(tpl, { channel: ch == null ? null : ((i18n.names || {})[ch] || ch), why: ch == null ? null : ((i18n.hold_why || {})[ch] || i18n.held),
        amount: p.amount == null ? null : money.format(p.amount), lo: p.lo, hi: p.hi });
    }
    function runError(job) {
      var tpl = job.error_code ? i18n["error." + job.error_code] : null;
      return tpl ? fill(tpl, job.error_params || {}) : fill(i18n["error.optimizer_failed"], { detail: job.error });
    }
    function fail(err) { var e = document.getElementById("run-error"); e.textContent = explain(err); show("run-error", true); show("run-status", false); }
    function setPeriod(period) {
      var k = weeks[period] || 1;
      var q = function (sel, fn) { var els = root.querySelectorAll(sel); for (var i = 0; i < els.length; i++) { fn(els[i]); } };
      q(".period-name", function (el) { el.textContent = i18n["period." + period]; });
      q(".kpi-of", function (el) { el.textContent = i18n["kpi_of." + period]; });
      q(".spend-of", function (el) { el.textContent = i18n["spend_of." + period]; });
      q(".cur-spend", function (el) { el.textContent = money.format(k * Number(el.getAttribute("data-week"))); });
      var now = document.getElementById("now-kpi");
      if (now) { now.textContent = kpiText(k * Number(now.getAttribute("data-value"))); }
      var iv = document.getElementById("now-interval");
      if (iv) { iv.textContent = i18n.interval + " [" + kpiText(k * Number(iv.getAttribute("data-lo"))) + ", " + kpiText(k * Number(iv.getAttribute("data-hi"))) + "]"; }
      var sp = document.getElementById("now-spend");
      if (sp) { sp.textContent = money.format(k * Number(sp.getAttribute("data-value"))); }
      var b = document.getElementById("s-budget");
      if (b && !b.getAttribute("data-edited")) { b.value = Math.round(k * Number(b.getAttribute("data-week"))); }
    }

    function render(job) {
      var res = job.result;
      var iv = function (p) { return p ? i18n.interval + " [" + kpiText(p[0]) + ", " + kpiText(p[1]) + "]" : ""; };
      document.getElementById("r-kpi-of").textContent = i18n["kpi_of." + (res.period || "week")];
      document.getElementById("r-expected").textContent = kpiText(res.expected_kpi);
      document.getElementById("r-reserve").textContent = money.format(res.reserve);
      document.getElementById("r-current").textContent = kpiText(res.current_kpi);
      document.getElementById("r-current-interval").textContent = iv(res.current_kpi_interval_90);
      document.getElementById("r-uplift").textContent = res.uplift_pct == null ? "—" : (res.uplift_pct >= 0 ? "+" : "") + (100 * res.uplift_pct).toFixed(1) + "%";
      document.getElementById("r-uplift-kpi").textContent = res.uplift_kpi == null ? "" : (res.uplift_kpi >= 0 ? "+" : "") + kpiText(res.uplift_kpi) + (res.uplift_interval_90 ? " " + iv(res.uplift_interval_90) : "");
      document.getElementById("r-interval").textContent = res.kpi_interval_90 ? iv(res.kpi_interval_90) : i18n.no_interval;
      var notes = document.getElementById("r-notes");
      notes.innerHTML = "";
      (res.notes_coded || (res.notes || []).map(function (n) { return { message: n }; })).forEach(function (n) {
        var li = document.createElement("li");
        li.textContent = noteText(n);
        notes.appendChild(li);
      });
      var rec = res.recommendation || {};
      var tbody = document.querySelector("#result-table tbody");
      tbody.innerHTML = "";
      var chans = Object.keys(res.allocation);
      var names = i18n.names || {};
      var shown = chans.map(function (c) { return names[c] || c; });
      chans.forEach(function (ch) {
        var tr = document.createElement("tr");
        var r = rec[ch];
        [names[ch] || ch, money.format(res.current[ch] || 0), money.format(res.allocation[ch]), num.format(res.marginal_roi[ch]), r ? (i18n[r.action] || r.action) : ""].forEach(function (v, k) {
          var td = document.createElement("td"); td.textContent = v; if (k > 0 && k < 4) { td.className = "num"; } if (k === 4 && r) { td.title = r.reason_text || r.reason; } tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      draw(document.getElementById("chart-run"), {
        data: [
          { type: "bar", name: i18n.current, x: shown, y: chans.map(function (c) { return res.current[c] || 0; }) },
          { type: "bar", name: i18n.allocation, x: shown, y: chans.map(function (c) { return res.allocation[c]; }) }
        ],
        layout: { barmode: "group", margin: { t: 20, r: 10, b: 40, l: 60 }, height: 320 }
      });
      document.getElementById("save-name").value = job.spec.name;
      show("run-result", true);
    }

    function poll(id) {
      api("GET", "/api/v1/optimizer/runs/" + encodeURIComponent(id)).then(function (job) {
        document.getElementById("run-progress").value = job.progress;
        document.getElementById("run-stage").textContent = job.status === "running" || job.status === "queued" ? i18n.running + " " + (i18n["stage." + job.stage] || job.stage) : (job.status === "succeeded" ? i18n.done : i18n.failed);
        if (job.status === "succeeded") { lastJob = job; render(job); }
        else if (job.status === "failed") { var e = document.getElementById("run-error"); e.textContent = runError(job); show("run-error", true); }
        else { setTimeout(function () { poll(id); }, 250); }
      }).catch(fail);
    }

    if (form) {
      var per = document.getElementById("s-period");
      if (per) { per.addEventListener("change", function () { setPeriod(per.value); }); setPeriod(per.value); }
      var bud = document.getElementById("s-budget");
      if (bud) { bud.addEventListener("input", function () { bud.setAttribute("data-edited", "1"); }); }
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        show("run-error", false); show("run-result", false); show("run-status", true);
        var channels = {};
        var release = [];
        var rows = document.querySelectorAll("#bounds tbody tr");
        for (var i = 0; i < rows.length; i++) {
          var rel = rows[i].querySelector(".brelease");
          if (rel && rel.checked) { release.push(rows[i].getAttribute("data-channel")); }
          var mn = rows[i].querySelector(".bmin").value, mx = rows[i].querySelector(".bmax").value;
          if (mn !== "" || mx !== "") {
            channels[rows[i].getAttribute("data-channel")] = { min: mn === "" ? null : Number(mn), max: mx === "" ? null : Number(mx) };
          }
        }
        var spec = { name: form.elements.name.value, budget: Number(form.elements.budget.value),
          reserve: Number(form.elements.reserve.value) / 100, period: form.elements.period.value,
          objective: form.elements.objective.value, channels: channels,
          guardrails: form.elements.guardrails.checked, release: release };
        api("POST", "/api/v1/optimizer/runs", spec).then(function (job) { poll(job.id); }).catch(fail);
      });
    }
    var save = document.getElementById("save-form");
    if (save) {
      save.addEventListener("submit", function (ev) {
        ev.preventDefault();
        if (!lastJob) { return; }
        api("POST", "/api/v1/scenarios", { job_id: lastJob.id, name: document.getElementById("save-name").value || null,
          shared: document.getElementById("save-shared").checked })
          .then(function (sc) { window.location.href = "/budget?scenario=" + sc.id; })
          .catch(function (err) { var e = document.getElementById("run-error"); e.textContent = err.message; show("run-error", true); });
      });
    }
    var dels = document.querySelectorAll(".del-scenario");
    for (var k = 0; k < dels.length; k++) {
      dels[k].addEventListener("click", function (ev) {
        var id = ev.currentTarget.getAttribute("data-id");
        api("DELETE", "/api/v1/scenarios/" + id).then(function () { window.location.href = "/budget"; })
          .catch(function (err) { var e = document.getElementById("run-error"); if (e) { e.textContent = err.message; e.hidden = false; } });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(); budget(); });
})();
