// The door scanner. It scans with a check-in device key kept in this browser (localStorage), online
// through POST /api/v1/checkin/scan. It keeps the event's signed offline bundle (IndexedDB) and,
// when the network fails, decides from the bundle alone: the token's signature is checked with
// WebCrypto (Ed25519, ES256 or RS256, as the bundle's key says), then the ticket's status, version,
// the blocklist and what this browser admitted. Offline scans are stored with their nonces and
// uploaded through POST /api/v1/events/{id}/checkin/sync once the server answers again.
"use strict";

(function () {
  var SKEW_SECONDS = 300;
  var BUNDLE_EVERY_MS = 60000;
  var SYNC_EVERY_MS = 3000;
  var STATS_EVERY_MS = 10000;
  var ANSWER_MS = 2500;

  var state = { device: null, online: true, bundle: null, keys: {}, tickets: {}, blocked: {}, variants: {}, recent: [],
                pending: 0, admittedHere: {}, exitedHere: {}, answerTimer: null, camera: null, lastCamera: { text: "", at: 0 } };

  function $(id) { return document.getElementById(id); }

  // ---- storage -------------------------------------------------------------------------------

  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open("door", 1);
        open.onupgradeneeded = function () {
          open.result.createObjectStore("bundles", { keyPath: "event" });
          var scans = open.result.createObjectStore("scans", { keyPath: "nonce" });
          scans.createIndex("event", "event");
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }

  function store(name, mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(name, mode);
        var result = work(transaction.objectStore(name));
        transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  function loadDevice() {
    try { return JSON.parse(localStorage.getItem("door.device") || "null"); } catch (e) { return null; }
  }

  function saveDevice(device) { localStorage.setItem("door.device", JSON.stringify(device)); }

  // ---- encoding and crypto --------------------------------------------------------------------

  function base64urlBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function base64urlJSON(text) { return JSON.parse(new TextDecoder().decode(base64urlBytes(text))); }

  function pemBytes(pem) {
    var body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    return base64urlBytes(body.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  }

  // A bundle key as WebCrypto takes it: Ed25519 as its raw 32 bytes, the others as SPKI PEM.
  function importKey(entry) {
    var subtle = window.crypto && window.crypto.subtle;
    if (!subtle) return Promise.reject(new Error("no WebCrypto"));
    if (entry.algorithm === "EdDSA") return subtle.importKey("raw", base64urlBytes(entry.text), { name: "Ed25519" }, false, ["verify"]);
    if (entry.algorithm === "ES256") return subtle.importKey("spki", pemBytes(entry.text), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    if (entry.algorithm === "RS256") return subtle.importKey("spki", pemBytes(entry.text), { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
    return Promise.reject(new Error("no public key for " + entry.algorithm));
  }

  function verifyParams(algorithm) {
    if (algorithm === "EdDSA") return { name: "Ed25519" };
    if (algorithm === "ES256") return { name: "ECDSA", hash: "SHA-256" };
    return { name: "RSASSA-PKCS1-v1_5" };
  }

  // ---- the network ----------------------------------------------------------------------------

  function api(method, path, body) {
    var headers = { "Authorization": "Bearer " + state.device.key, "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
                         cache: "no-store", credentials: "omit" })
      .then(function (response) {
        if (response.status === 401) { unpaired("This device was revoked or its key is wrong. Pair it again."); throw new Error("revoked"); }
        if (response.status >= 500) throw new Error("server " + response.status);
        return response.json().then(function (json) { return { status: response.status, json: json }; });
      });
  }

  function setOnline(online) {
    if (state.online === online) return;
    state.online = online;
    var mode = $("mode");
    mode.textContent = online ? "Online" : "Offline";
    mode.className = "mode " + (online ? "online" : "offline");
    if (online) { syncNow(); refreshStats(); }
  }

  // ---- the bundle -----------------------------------------------------------------------------

  function useBundle(envelope) {
    var contents = JSON.parse(envelope.payload);
    if (contents.event_id !== state.device.event) return Promise.reject(new Error("a bundle of another event"));
    var keyEntry = contents.keys[envelope.kid];
    if (!keyEntry) return Promise.reject(new Error("the bundle's key is not in it"));
    // The envelope is checked with its own key: what was stored is what the server signed.
    return importKey(keyEntry).then(function (key) {
      return crypto.subtle.verify(verifyParams(keyEntry.algorithm), key, base64urlBytes(envelope.signature), new TextEncoder().encode(envelope.payload));
    }).then(function (valid) {
      if (!valid) throw new Error("the bundle's signature does not verify");
      var keys = {};
      var imports = Object.keys(contents.keys).filter(function (kid) { return contents.keys[kid].algorithm !== "HS256"; })
        .map(function (kid) { return importKey(contents.keys[kid]).then(function (key) { keys[kid] = { key: key, algorithm: contents.keys[kid].algorithm }; }, function () {}); });
      return Promise.all(imports).then(function () {
        state.bundle = contents;
        state.keys = keys;
        state.tickets = {};
        contents.tickets.forEach(function (ticket) { state.tickets[ticket.id] = ticket; });
        state.blocked = {};
        contents.blocklist.forEach(function (entry) { state.blocked[entry.ticket_id] = entry.reason; });
        if (!state.online) showOfflineCounts();
      });
    });
  }

  function refreshBundle() {
    if (!state.device) return Promise.resolve();
    return api("GET", "/api/v1/events/" + state.device.event + "/checkin/bundle").then(function (answer) {
      if (answer.status !== 200) return;
      return useBundle(answer.json).then(function () {
        return store("bundles", "readwrite", function (bundles) { bundles.put({ event: state.device.event, envelope: answer.json }); });
      });
    }, function () { setOnline(false); });
  }

  function loadStoredBundle() {
    return store("bundles", "readonly", function (bundles) { return bundles.get(state.device.event); }).then(function (row) {
      if (row && row.envelope) return useBundle(row.envelope).catch(function () {});
    }, function () {});
  }

  // ---- deciding offline -----------------------------------------------------------------------

  function decideOffline(token, direction) {
    var parts = token.split(".");
    if (parts.length !== 3 || !state.bundle) return Promise.resolve({ result: "invalid", reason: state.bundle ? "malformed token" : "no offline bundle yet" });
    var header, claims;
    try { header = base64urlJSON(parts[0]); claims = base64urlJSON(parts[1]); } catch (e) { return Promise.resolve({ result: "invalid", reason: "malformed token" }); }
    var key = state.keys[header.kid];
    if (!key) return Promise.resolve({ result: "invalid", reason: "unknown signing key" });
    if (header.alg !== key.algorithm) return Promise.resolve({ result: "invalid", reason: "algorithm does not match the key" });
    return crypto.subtle.verify(verifyParams(key.algorithm), key.key, base64urlBytes(parts[2]), new TextEncoder().encode(parts[0] + "." + parts[1]))
      .then(function (valid) {
        if (!valid) return { result: "invalid", reason: "bad signature" };
        var id = prefixed(claims.sub, "tkt"), event = prefixed(claims.evt, "evt"), variant = prefixed(claims["var"], "var");
        var now = Math.floor(Date.now() / 1000);
        if (claims.iat > now + SKEW_SECONDS) return { result: "not_valid_yet", ticketId: id };
        if (claims.exp < now) return { result: "expired", ticketId: id };
        if (event !== state.bundle.event_id) return { result: "wrong_event", ticketId: id };
        var ticket = state.tickets[id];
        if (!ticket || ticket.variant_id !== variant) return { result: "invalid", ticketId: id, reason: "ticket not in the bundle" };
        if (ticket.version !== claims.ver) return { result: "invalid", ticketId: id, reason: "superseded token" };
        if (ticket.status === "refunded" || ticket.status === "cancelled") return { result: ticket.status, ticketId: id, variantId: variant };
        if (state.blocked[id]) return { result: "blocked", ticketId: id, reason: state.blocked[id], variantId: variant };
        var admitted = (ticket.admitted_at || state.admittedHere[id]) && !state.exitedHere[id];
        if (direction === "exit") {
          if (!admitted) return { result: "not_inside", ticketId: id, variantId: variant };
          state.exitedHere[id] = new Date().toISOString();
          return { result: "exited", ticketId: id, variantId: variant };
        }
        if (admitted) return { result: "already_admitted", ticketId: id, variantId: variant, firstAdmittedAt: ticket.admitted_at || state.admittedHere[id] };
        state.admittedHere[id] = new Date().toISOString();
        delete state.exitedHere[id];
        return { result: "admitted", ticketId: id, variantId: variant };
      }, function () { return { result: "invalid", reason: "bad signature" }; });
  }

  function prefixed(id, prefix) { return id && id.indexOf(prefix + "_") === 0 ? id : prefix + "_" + id; }

  // ---- scanning -------------------------------------------------------------------------------

  function nonce() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // A manual check-in: the ticket found by its buyer, admitted online by its id.
  function admitFound(ticketId) {
    if (!state.device) return;
    var direction = document.querySelector("input[name=direction]:checked").value;
    api("POST", "/api/v1/checkin/scan", { ticket_id: ticketId, nonce: nonce(), direction: direction }).then(function (reply) {
      var json = reply.json || {};
      show({ result: json.result || "invalid", ticketId: ticketId, variantId: json.ticket && json.ticket.variant_id,
             firstAdmittedAt: json.first_admitted_at, firstAdmittedBy: json.first_admitted_by_name, reason: json.reason || json.detail });
      refreshStats();
      search($("search").value);
    }, function () { $("search-state").textContent = "Manual check-in needs the network."; });
  }

  function search(text) {
    text = text.trim();
    var list = $("found");
    if (!text || !state.device) return;
    api("GET", "/api/v1/events/" + state.device.event + "/checkin/search?q=" + encodeURIComponent(text)).then(function (reply) {
      while (list.firstChild) list.removeChild(list.firstChild);
      var found = (reply.json && reply.json.data) || [];
      $("search-state").textContent = found.length ? "" : "No ticket found.";
      found.forEach(function (ticket) {
        var item = document.createElement("li");
        var label = document.createElement("span");
        label.textContent = (ticket.name ? ticket.name + " · " : "") + ticket.email + " · " + (state.variants[ticket.variant_id] || "ticket") +
          " · seat " + ticket.seat + " · " + (ticket.status !== "valid" ? ticket.status : ticket.inside ? "inside" : ticket.admitted_at ? "left" : "not admitted");
        item.appendChild(label);
        if (ticket.status === "valid" && !ticket.inside) {
          var button = document.createElement("button");
          button.type = "button";
          button.className = "secondary";
          button.textContent = "Admit";
          button.dataset.ticket = ticket.ticket_id;
          button.addEventListener("click", function () { admitFound(ticket.ticket_id); });
          item.appendChild(document.createTextNode(" "));
          item.appendChild(button);
        }
        list.appendChild(item);
      });
    }, function () { $("search-state").textContent = "Manual check-in needs the network."; });
  }

  function scan(token) {
    token = token.trim();
    if (!token || !state.device) return;
    var began = performance.now();
    var direction = document.querySelector("input[name=direction]:checked").value;
    var id = nonce(), scannedAt = new Date().toISOString();
    var offline = function () {
      setOnline(false);
      return decideOffline(token, direction).then(function (decision) {
        decision.offline = true;
        return store("scans", "readwrite", function (scans) {
          scans.put({ nonce: id, event: state.device.event, token: token, scanned_at: scannedAt, direction: direction, synced: false, result: decision.result });
        }).then(function () { state.pending += 1; showSyncState(); showOfflineCounts(); return decision; });
      });
    };
    var answer = state.online
      ? api("POST", "/api/v1/checkin/scan", { token: token, nonce: id, direction: direction }).then(function (reply) {
          if (reply.status !== 200) return { result: "invalid", reason: (reply.json && reply.json.detail) || "refused" };
          var json = reply.json;
          return { result: json.result, ticketId: json.ticket && json.ticket.id, variantId: json.ticket && json.ticket.variant_id,
                   firstAdmittedAt: json.first_admitted_at, firstAdmittedBy: json.first_admitted_by_name, reason: json.reason };
        }, function (error) { if (error.message === "revoked") throw error; return offline(); })
      : offline();
    answer.then(function (decision) {
      $("recent").dataset.lastMs = String(Math.round(performance.now() - began));
      show(decision);
      if (!decision.offline) refreshStats();
    }, function () {});
  }

  var WORDS = {
    admitted: "Admitted", exited: "Exit recorded", already_admitted: "Already admitted", not_inside: "Not inside",
    blocked: "Blocked", refunded: "Refunded", cancelled: "Cancelled", wrong_event: "Wrong event", not_valid_yet: "Not valid yet",
    expired: "Expired", invalid: "Not a valid ticket"
  };

  function colour(result) {
    if (result === "admitted" || result === "exited") return "green";
    if (result === "already_admitted" || result === "not_inside") return "amber";
    return "red";
  }

  function clock(iso) {
    var date = new Date(iso);
    return isNaN(date) ? "" : ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }

  function detail(decision) {
    var parts = [];
    if (decision.variantId && state.variants[decision.variantId]) parts.push(state.variants[decision.variantId]);
    if (decision.result === "already_admitted" && decision.firstAdmittedAt) {
      parts.push("already admitted at " + clock(decision.firstAdmittedAt) + (decision.firstAdmittedBy ? " by " + decision.firstAdmittedBy : ""));
    }
    if (decision.reason) parts.push(decision.reason);
    if (decision.offline) parts.push("decided offline");
    return parts.join(" · ");
  }

  function show(decision) {
    var answer = $("answer");
    answer.className = "answer " + colour(decision.result);
    answer.dataset.result = decision.result;
    $("answer-title").textContent = WORDS[decision.result] || decision.result;
    $("answer-detail").textContent = detail(decision);
    answer.hidden = false;
    clearTimeout(state.answerTimer);
    state.answerTimer = setTimeout(function () { answer.hidden = true; }, ANSWER_MS);
    var item = document.createElement("li");
    item.className = colour(decision.result);
    item.dataset.result = decision.result;
    item.textContent = clock(new Date().toISOString()) + " " + (WORDS[decision.result] || decision.result) + (detail(decision) ? " · " + detail(decision) : "");
    var list = $("recent");
    list.dataset.count = String(Number(list.dataset.count || 0) + 1);
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 20) list.removeChild(list.lastChild);
    $("token").focus();
  }

  // ---- counters and sync ----------------------------------------------------------------------

  function refreshStats() {
    if (!state.device || !state.online) return;
    api("GET", "/api/v1/events/" + state.device.event + "/stats").then(function (answer) {
      if (answer.status !== 200) return;
      $("count-admitted").textContent = answer.json.admitted;
      $("count-inside").textContent = answer.json.inside;
      $("count-expected").textContent = answer.json.sold;
    }, function () { setOnline(false); });
  }

  function showOfflineCounts() {
    if (!state.bundle) return;
    var admitted = 0, expected = 0, inside = 0;
    Object.keys(state.tickets).forEach(function (id) {
      var ticket = state.tickets[id];
      if (ticket.status !== "valid") return;
      expected += 1;
      if (ticket.admitted_at || state.admittedHere[id]) { admitted += 1; if (!state.exitedHere[id]) inside += 1; }
    });
    $("count-admitted").textContent = admitted;
    $("count-inside").textContent = inside;
    $("count-expected").textContent = expected;
  }

  function showSyncState() {
    $("sync-state").textContent = state.pending > 0 ? state.pending + " offline scan" + (state.pending === 1 ? "" : "s") + " waiting to upload" : "";
  }

  var syncing = false;
  function syncNow() {
    if (syncing || !state.device) return;
    syncing = true;
    store("scans", "readonly", function (scans) { return scans.index("event").getAll(state.device.event); }).then(function (rows) {
      var waiting = (rows || []).filter(function (row) { return !row.synced; });
      state.pending = waiting.length;
      showSyncState();
      if (waiting.length === 0) return;
      var upload = waiting.map(function (row) { return { nonce: row.nonce, token: row.token, scanned_at: row.scanned_at, direction: row.direction }; });
      return api("POST", "/api/v1/events/" + state.device.event + "/checkin/sync", { scans: upload }).then(function (answer) {
        if (answer.status !== 200) return;
        setOnline(true);
        (answer.json.conflicts || []).forEach(showConflict);
        return store("scans", "readwrite", function (scans) {
          waiting.forEach(function (row) { row.synced = true; scans.put(row); });
        }).then(function () { state.pending = 0; showSyncState(); refreshStats(); refreshBundle(); });
      }, function () { setOnline(false); });
    }).then(function () { syncing = false; }, function () { syncing = false; });
  }

  function showConflict(conflict) {
    $("conflicts").hidden = false;
    var item = document.createElement("li");
    item.textContent = conflict.ticket_id + ": admitted first by " + conflict.first_device + " at " + clock(conflict.first_at) +
      ", then by " + conflict.later_device + " at " + clock(conflict.later_at);
    $("conflict-list").appendChild(item);
  }

  // While offline, ask the server now and then whether it is back.
  function probe() {
    if (state.online || !state.device) return;
    if (state.pending > 0) { syncNow(); return; }
    api("GET", "/api/v1/events/" + state.device.event + "/stats").then(function (answer) {
      if (answer.status === 200) setOnline(true);
    }, function () {});
  }

  // ---- the camera -----------------------------------------------------------------------------

  function startCamera() {
    if (state.camera) return;
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      var video = $("video");
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      state.camera = setInterval(function () {
        detector.detect(video).then(function (codes) {
          if (!codes.length) return;
          var text = codes[0].rawValue, now = Date.now();
          // The same code in front of the camera is one scan, not one per frame.
          if (text === state.lastCamera.text && now - state.lastCamera.at < 3000) return;
          state.lastCamera = { text: text, at: now };
          scan(text);
        }, function () {});
      }, 250);
    }, function () { $("camera").textContent = "The camera is not available"; });
  }

  // ---- start ----------------------------------------------------------------------------------

  function unpaired(message) {
    localStorage.removeItem("door.device");
    state.device = null;
    $("scanner").hidden = true;
    $("unpaired").hidden = false;
    if (message) {
      var note = document.createElement("p");
      note.className = "alert";
      note.setAttribute("role", "alert");
      note.textContent = message;
      $("unpaired").insertBefore(note, $("unpaired").children[1]);
    }
  }

  function pairingFromPage() {
    var root = $("door");
    if (root.dataset.pairKey && root.dataset.pairEvent) return { key: root.dataset.pairKey, event: root.dataset.pairEvent };
    var match = /^#pair=([^&]+)&event=([^&]+)$/.exec(location.hash);
    if (match) return { key: decodeURIComponent(match[1]), event: decodeURIComponent(match[2]) };
    return null;
  }

  function start() {
    var paired = pairingFromPage();
    var stored = loadDevice();
    // A link or code for another device does not silently take this browser over.
    if (paired && stored && stored.key !== paired.key &&
        !window.confirm("This browser is already a check-in device. Use it for the device in this link instead?")) {
      paired = null;
    }
    if (paired) saveDevice(paired);
    // The key leaves the address bar and the history at once, taken or not.
    if (location.hash.indexOf("#pair=") === 0) history.replaceState(null, "", "/door");
    state.device = loadDevice();
    if (!state.device) return;
    $("unpaired").hidden = true;
    $("scanner").hidden = false;
    $("token").focus();
    fetch("/api/v1/public/events/" + state.device.event, { cache: "no-store", credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (event) {
        if (!event) return;
        $("event-title").textContent = event.title;
        event.variants.forEach(function (variant) { state.variants[variant.id] = variant.name; });
        localStorage.setItem("door.variants", JSON.stringify(state.variants));
      }, function () {
        try { state.variants = JSON.parse(localStorage.getItem("door.variants") || "{}"); } catch (e) { state.variants = {}; }
      });
    $("scan-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("token");
      var token = input.value;
      input.value = "";
      scan(token);
    });
    $("answer").addEventListener("click", function () { $("answer").hidden = true; $("token").focus(); });
    $("search-form").addEventListener("submit", function (event) { event.preventDefault(); search($("search").value); });
    $("unpair").addEventListener("click", function () { unpaired(null); });
    if ("BarcodeDetector" in window && navigator.mediaDevices) {
      $("camera").hidden = false;
      $("camera").addEventListener("click", startCamera);
    }
    window.addEventListener("online", probe);
    window.addEventListener("offline", function () { setOnline(false); });
    loadStoredBundle().then(refreshBundle);
    refreshStats();
    syncNow();
    setInterval(refreshBundle, BUNDLE_EVERY_MS);
    setInterval(function () { if (state.online) refreshStats(); }, STATS_EVERY_MS);
    setInterval(function () { if (state.online) syncNow(); else probe(); }, SYNC_EVERY_MS);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
