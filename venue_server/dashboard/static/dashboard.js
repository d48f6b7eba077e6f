// The venue dashboard's live view: polls /dashboard/api/overview every 2 s and updates the
// page in place (rows keyed by id, so a focused button survives a refresh). Text from the
// server only ever goes into textContent, never into HTML.
"use strict";

(() => {
  const REFRESH_MS = 2000;
  const CLOCK_TOLERANCE_MS = 2000;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let serverSkew = 0; // server clock minus this browser's, in seconds

  // -- helpers ------------------------------------------------------------------------------

  function serverNow() {
    return Date.now() / 1000 + serverSkew;
  }

  function ago(seconds) {
    if (seconds < 5) return "just now";
    if (seconds < 90) return `${Math.round(seconds)} s ago`;
    if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
    return `${Math.round(seconds / 3600)} h ago`;
  }

  function duration(seconds) {
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
    return `${Math.round(seconds / 3600)} h`;
  }

  function clockTime(ms) {
    return new Date(ms).toLocaleTimeString([], { hour12: false });
  }

  function describeOffset(ms) {
    if (Math.abs(ms) < 1000) return `within ${Math.abs(ms)} ms`;
    return `${(Math.abs(ms) / 1000).toFixed(1)} s ${ms > 0 ? "slow" : "fast"}`;
  }

  function show(node, visible) {
    node.hidden = !visible;
  }

  async function api(path, body) {
    const options = { credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body);
    }
    const answer = await fetch(path, options);
    if (answer.status === 401) {
      window.location.assign("/dashboard/login");
      throw new Error("Your session has ended; log in again.");
    }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.detail || `The server answered ${answer.status}.`);
    return data;
  }

  // A cell is a string or {text, cls, title}; the first cell of a row is its header.
  function fillCell(td, spec) {
    const s = typeof spec === "object" && spec !== null ? spec : { text: String(spec) };
    const key = JSON.stringify(s);
    if (td.dataset.spec === key) return;
    td.dataset.spec = key;
    td.textContent = s.text;
    td.className = s.cls || "";
    if (s.title) td.title = s.title;
    else td.removeAttribute("title");
  }

  function syncRows(table, items, keyOf, cellsOf, actionsOf) {
    const tbody = table.tBodies[0];
    const existing = new Map([...tbody.rows].map((row) => [row.dataset.key, row]));
    items.forEach((item, index) => {
      const key = keyOf(item);
      let row = existing.get(key);
      const cells = cellsOf(item);
      if (!row) {
        row = document.createElement("tr");
        row.dataset.key = key;
        cells.forEach((_, i) => row.appendChild(document.createElement(i === 0 ? "th" : "td")));
        row.cells[0].scope = "row";
        if (actionsOf) row.appendChild(document.createElement("td"));
      }
      existing.delete(key);
      cells.forEach((spec, i) => fillCell(row.cells[i], spec));
      if (actionsOf) {
        const td = row.cells[cells.length];
        const spec = actionsOf.key(item);
        if (td.dataset.spec !== spec) {
          td.dataset.spec = spec;
          td.replaceChildren(...actionsOf.build(item));
        }
      }
      if (tbody.rows[index] !== row) tbody.insertBefore(row, tbody.rows[index] || null);
    });
    existing.forEach((row) => row.remove());
  }

  function button(text, label, onClick, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.className = "small";
    b.disabled = Boolean(disabled);
    b.addEventListener("click", onClick);
    return b;
  }

  // -- header: cloud sync -------------------------------------------------------------------

  function renderSync(data) {
    const sync = data.sync;
    const status = $("sync-status");
    const alert = $("stale-alert");
    let text;
    let cls = "sync";
    if (!sync.paired) {
      text = "Not paired with a cloud yet: run “bilten venue pair” on this machine.";
      cls += " warn";
    } else if (sync.last_ok_at === null) {
      text = "Cloud sync: no good sync yet.";
      cls += " bad";
    } else {
      text = `Cloud sync: last good sync ${ago(sync.age_seconds)} (${clockTime(sync.last_ok_at * 1000)}).`;
      cls += sync.stale ? " bad" : " good";
    }
    if (sync.last_error) text += ` Last attempt failed: ${sync.last_error}`;
    status.textContent = text;
    status.className = cls;
    if (sync.stale) {
      const since = sync.last_ok_at === null ? "No good cloud sync yet" :
        `The last good cloud sync was ${duration(sync.age_seconds)} ago`;
      alert.textContent = `⚠ Stale data. ${since} (alert after ${duration(sync.stale_after)}). ` +
        "Tickets sold or revoked since then are not known at the gates.";
    }
    show(alert, sync.stale);
    const pulling = sync.pull_percent !== null && sync.pull_remaining > 0;
    show($("pull"), pulling);
    if (pulling) {
      const total = sync.pull_done + sync.pull_remaining;
      $("pull-progress").value = sync.pull_percent;
      $("pull-progress").textContent = `${sync.pull_percent}%`;
      $("pull-label").textContent =
        `Downloading tickets from the cloud: ${sync.pull_done} of ${total} (${sync.pull_percent}%)`;
    }
  }

  // -- devices and readiness ----------------------------------------------------------------

  function deviceCells(d, now) {
    let status;
    if (d.revoked) status = { text: "⊘ Revoked", cls: "muted nowrap" };
    else if (d.online) status = { text: "● Online", cls: "good nowrap" };
    else status = { text: "○ Offline", cls: "bad nowrap" };
    const seen = d.last_seen === null ? { text: "never" } :
      { text: ago(now - d.last_seen), title: clockTime(d.last_seen * 1000) };
    let manifest;
    if (d.tickets_behind === null) manifest = { text: "not reported", cls: "warn" };
    else if (d.tickets_behind === 0) manifest = { text: `✓ up to date (${d.manifest_cursor})`, cls: "good" };
    else manifest = { text: `✗ ${d.tickets_behind} behind (${d.manifest_cursor})`, cls: "bad" };
    let clock;
    if (d.clock_offset_ms === null) clock = { text: "not reported", cls: "warn" };
    else {
      const ok = Math.abs(d.clock_offset_ms) <= CLOCK_TOLERANCE_MS;
      clock = { text: `${ok ? "✓" : "✗"} ${describeOffset(d.clock_offset_ms)}`, cls: ok ? "good" : "bad" };
    }
    return [
      { text: d.name, title: d.device_id },
      d.gate,
      status,
      seen,
      manifest,
      clock,
      { text: String(d.pending_upload), cls: "num" },
    ];
  }

  const deviceActions = {
    key: (d) => JSON.stringify([d.name, d.gate, d.revoked]),
    build: (d) => [
      button("Rename", `Rename ${d.name}`, () => openDeviceDialog("rename", d)),
      button("Set gate", `Set gate of ${d.name}`, () => openDeviceDialog("gate", d)),
      button("Revoke", `Revoke ${d.name}`, () => openDeviceDialog("revoke", d), d.revoked),
    ],
  };

  function renderDevices(data) {
    syncRows($("devices"), data.devices, (d) => d.device_id, (d) => deviceCells(d, data.now), deviceActions);
    show($("devices-empty"), data.devices.length === 0);
    const active = data.devices.filter((d) => !d.revoked);
    syncRows($("readiness"), active, (d) => d.device_id, (d) => {
      const failing = d.checks.filter((c) => !c.ok).map((c) => c.text);
      return [
        d.name,
        d.gate,
        d.ready ? { text: "✓ Ready", cls: "good nowrap" } : { text: "✗ Not ready", cls: "bad nowrap" },
        failing.length ? failing.join("; ") : d.checks.map((c) => c.text).join("; "),
      ];
    });
    $("server-manifest").textContent = data.manifest_version;
  }

  // -- entries per minute -------------------------------------------------------------------

  let plotKey = "";

  function renderPlot(minutes) {
    const key = JSON.stringify(minutes);
    if (key === plotKey) return;
    plotKey = key;
    const svg = $("entries-plot");
    const width = 600;
    const height = 200;
    const left = 36;
    const bottom = 22;
    const top = 10;
    const busiest = Math.max(0, ...minutes.map((m) => m.entries));
    const peak = Math.max(1, busiest);
    const slot = (width - left) / minutes.length;
    const parts = [];
    const add = (name, attrs, text) => {
      const node = document.createElementNS(SVG, name);
      Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
      if (text !== undefined) node.textContent = text;
      parts.push(node);
      return node;
    };
    add("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" });
    add("text", { x: left - 6, y: top + 8, class: "tick", "text-anchor": "end" }, String(peak));
    add("text", { x: left - 6, y: height - bottom, class: "tick", "text-anchor": "end" }, "0");
    minutes.forEach((m, i) => {
      const h = ((height - bottom - top) * m.entries) / peak;
      const bar = add("rect", {
        x: left + i * slot + 1,
        y: height - bottom - h,
        width: Math.max(1, slot - 2),
        height: h,
        class: "bar",
        "data-minute": m.minute_start,
        "data-entries": m.entries,
      });
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${clockTime(m.minute_start * 1000).slice(0, 5)}: ${m.entries} entries`;
      bar.appendChild(title);
      if (i % 5 === 0 || i === minutes.length - 1) {
        const label = i === minutes.length - 1 ? "now" : `−${minutes.length - 1 - i} min`;
        add("text", { x: left + i * slot + slot / 2, y: height - 6, class: "tick", "text-anchor": "middle" }, label);
      }
    });
    svg.replaceChildren(...parts);
    const total = minutes.reduce((sum, m) => sum + m.entries, 0);
    const current = minutes.length ? minutes[minutes.length - 1].entries : 0;
    $("entries-summary").textContent =
      `${current} entries this minute; ${total} in the last ${minutes.length} minutes ` +
      `(busiest minute: ${busiest}).`;
    $("total-last-minute").textContent = String(current);
  }

  // -- occupancy, conflicts, rejected scans -------------------------------------------------

  function renderOccupancy(zones) {
    syncRows($("occupancy"), zones, (z) => z.zone, (z) => [
      z.label,
      { text: String(z.entries), cls: "num" },
      { text: String(z.exits), cls: "num" },
      { text: String(z.inside), cls: "num strong" },
    ]);
    show($("occupancy-empty"), zones.length === 0);
    $("total-inside").textContent = String(zones.reduce((sum, z) => sum + z.inside, 0));
  }

  function where(scan) {
    return `${scan.gate} · ${scan.device_name} · ${clockTime(scan.scanned_at_ms)}`;
  }

  function renderConflicts(data) {
    syncRows($("conflicts"), data.conflicts, (c) => c.flagged.scan_id, (c) => [
      { text: c.ticket_id, title: c.event_id === null ? "" : `event ${c.event_id}` },
      c.holder_name ? `${c.holder_name}${c.type_name ? ` (${c.type_name})` : ""}` : "not in the manifest",
      { text: `✓ counts: ${where(c.counted)}`, cls: "good" },
      { text: `⚑ flagged: ${where(c.flagged)}`, cls: "bad" },
    ]);
    show($("conflicts-empty"), data.conflicts.length === 0);
    $("total-conflicts").textContent = String(data.conflict_total);
  }

  function renderRejected(scans) {
    syncRows($("rejected"), scans, (s) => s.scan_id, (s) => [
      clockTime(s.scanned_at_ms),
      s.gate,
      s.device_name,
      { text: s.label, cls: s.severity === "attention" ? "warn" : "bad" },
      s.ticket_id || "–",
    ]);
    show($("rejected-empty"), scans.length === 0);
  }

  // -- refresh loop -------------------------------------------------------------------------

  function render(data) {
    serverSkew = data.now - Date.now() / 1000;
    if (data.venue_name) {
      $("venue-name").textContent = data.venue_name;
      document.title = `${data.venue_name} dashboard · Bilten`;
    }
    $("total-tickets").textContent = String(data.tickets);
    $("total-pending").textContent = String(data.scans_pending_upload);
    renderSync(data);
    renderDevices(data);
    renderPlot(data.per_minute);
    renderOccupancy(data.occupancy);
    renderConflicts(data);
    renderRejected(data.rejected);
  }

  async function refresh() {
    try {
      render(await api("/dashboard/api/overview"));
      show($("connection"), false);
    } catch (error) {
      $("connection").textContent =
        `Lost contact with the venue server (${error.message}); retrying every 2 s.`;
      show($("connection"), true);
    }
  }

  // -- dialogs ------------------------------------------------------------------------------

  document.querySelectorAll("dialog [data-close]").forEach((b) =>
    b.addEventListener("click", () => b.closest("dialog").close()),
  );

  let expiryTimer = null;

  function showExpiry(expiresAt) {
    const left = Math.max(0, Math.round(expiresAt - serverNow()));
    const text = left > 0 ?
      `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}.` :
      "This code has expired. Make a new one.";
    $("pair-expiry").textContent = text;
    if (left === 0) clearInterval(expiryTimer);
  }

  $("pair-button").addEventListener("click", () => {
    show($("pair-form"), true);
    show($("pair-result"), false);
    show($("pair-error"), false);
    $("pair-dialog").showModal();
    $("pair-gate").focus();
  });

  $("pair-dialog").addEventListener("close", () => clearInterval(expiryTimer));

  $("pair-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api("/dashboard/api/pairing-codes", { gate: $("pair-gate").value });
      $("pair-qr").src = made.qr_svg_uri;
      $("pair-qr").alt = `Pairing QR code for gate ${made.gate}, code ${made.code}`;
      $("pair-code").textContent = made.code;
      $("pair-url").textContent = made.venue_url;
      show($("pair-warning"), !made.lan_reachable);
      show($("pair-form"), false);
      show($("pair-result"), true);
      show($("pair-error"), false);
      clearInterval(expiryTimer);
      showExpiry(made.expires_at);
      expiryTimer = setInterval(() => showExpiry(made.expires_at), 1000);
    } catch (error) {
      $("pair-error").textContent = error.message;
      show($("pair-error"), true);
    }
  });

  const deviceModes = {
    rename: { title: "Rename device", label: "New name", submit: "Save name", field: "name",
      path: "name", value: (d) => d.name },
    gate: { title: "Set gate", label: "Gate", submit: "Save gate", field: "gate",
      path: "gate", value: (d) => d.gate },
    revoke: { title: "Revoke device", submit: "Revoke", path: "revoke" },
  };
  let deviceTarget = null;

  function openDeviceDialog(mode, device) {
    const m = deviceModes[mode];
    deviceTarget = { mode, device };
    $("device-dialog-title").textContent = `${m.title}: ${device.name}`;
    const field = $("device-field");
    const hasField = Boolean(m.field);
    show(field, hasField);
    show($("device-field-label"), hasField);
    field.required = hasField;
    $("device-field-label").textContent = m.label || "";
    field.value = hasField ? m.value(device) : "";
    $("device-dialog-text").textContent = mode === "revoke" ?
      `Revoke “${device.name}” at gate ${device.gate}? Its next request is refused; to use it ` +
      "again, pair it anew." : "";
    $("device-submit").textContent = m.submit;
    $("device-submit").className = mode === "revoke" ? "danger" : "";
    show($("device-error"), false);
    $("device-dialog").showModal();
    (hasField ? field : $("device-submit")).focus();
  }

  $("device-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const { mode, device } = deviceTarget;
    const m = deviceModes[mode];
    const body = m.field ? { [m.field]: $("device-field").value } : {};
    try {
      await api(`/dashboard/api/devices/${encodeURIComponent(device.device_id)}/${m.path}`, body);
      $("device-dialog").close();
      await refresh();
    } catch (error) {
      $("device-error").textContent = error.message;
      show($("device-error"), true);
    }
  });

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
