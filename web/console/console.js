/*
 * gatehouse account console.  The browser session is an httpOnly cookie
 * this script never sees; every state-changing call sends the session's
 * CSRF token in X-CSRF-Token.  Nothing is kept in web storage, and
 * everything shown is set with textContent (never parsed as HTML).
 */
"use strict";
(function () {
  var csrf = null;
  var me = null;

  function $(id) { return document.getElementById(id); }

  function status(text, isError) {
    var s = $("status");
    s.textContent = text || "";
    s.className = isError ? "error" : "";
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET" && csrf) opts.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      if (r.status === 204) return null;
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (r.ok) return d;
        if (r.status === 401) showSignin();
        var detail = d && d.detail;
        if (Array.isArray(detail))
          detail = detail.map(function (e) { return e.msg; }).join("; ");
        var err = new Error(detail || ("HTTP " + r.status));
        err.status = r.status;
        throw err;
      });
    });
  }

  function fail(e) { status(e.message, true); }

  function when(ts) { return ts ? new Date(ts).toLocaleString() : "never"; }

  function cell(tr, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    tr.appendChild(td);
    return td;
  }

  function button(label, cls, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (cls) b.className = cls;
    b.addEventListener("click", onclick);
    return b;
  }

  function showSignin() {
    csrf = null;
    me = null;
    $("app").hidden = true;
    $("signout").hidden = true;
    $("signin").hidden = false;
  }

  function started(session) {
    csrf = session.csrf_token;
    me = session.user;
    $("signin").hidden = true;
    $("app").hidden = false;
    $("signout").hidden = false;
    $("admin").hidden = me.role !== "admin";
    renderProfile();
    loadSessions();
    loadKeys();
    if (me.role === "admin") { loadUsers(); loadAudit(); }
  }

  function renderProfile() {
    var dl = $("profile");
    dl.textContent = "";
    [["Username", me.username], ["E-mail", me.email], ["Role", me.role],
     ["Member since", when(me.created_at)]].forEach(function (p) {
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = p[0];
      dd.textContent = p[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
  }

  function loadSessions() {
    return api("GET", "/users/me/sessions").then(function (list) {
      var tb = $("sessions");
      tb.textContent = "";
      list.forEach(function (s) {
        var tr = document.createElement("tr");
        cell(tr, when(s.created_at));
        cell(tr, when(s.last_used_at));
        cell(tr, s.ip);
        cell(tr, s.user_agent);
        var td = cell(tr, "");
        td.className = "actions";
        if (s.current) {
          td.textContent = "this session";
        } else {
          td.appendChild(button("End session", "danger", function () {
            api("DELETE", "/users/me/sessions/" + s.id).then(function () {
              status("Session ended.");
              return loadSessions();
            }).catch(fail);
          }));
        }
        tb.appendChild(tr);
      });
    }).catch(fail);
  }

  function loadKeys() {
    return api("GET", "/api-keys").then(function (list) {
      var tb = $("keys");
      tb.textContent = "";
      list.forEach(function (k) {
        var tr = document.createElement("tr");
        cell(tr, k.name);
        cell(tr, k.prefix);
        cell(tr, when(k.created_at));
        cell(tr, k.expires_at ? when(k.expires_at) : "never");
        cell(tr, when(k.last_used_at));
        var td = cell(tr, "");
        td.className = "actions";
        td.appendChild(button("Revoke", "danger", function () {
          if (!window.confirm("Revoke the key \u201c" + k.name + "\u201d?"))
            return;
          api("DELETE", "/api-keys/" + k.id).then(function () {
            status("Key revoked.");
            return loadKeys();
          }).catch(fail);
        }));
        tb.appendChild(tr);
      });
    }).catch(fail);
  }

  function loadUsers() {
    return api("GET", "/admin/users").then(function (list) {
      var tb = $("users");
      tb.textContent = "";
      list.forEach(function (u) {
        var tr = document.createElement("tr");
        cell(tr, u.id);
        cell(tr, u.username);
        cell(tr, u.email);
        var roleTd = cell(tr, "");
        var sel = document.createElement("select");
        sel.setAttribute("aria-label", "Role of " + u.username);
        ["user", "moderator", "admin"].forEach(function (r) {
          var o = document.createElement("option");
          o.value = r;
          o.textContent = r;
          o.selected = r === u.role;
          sel.appendChild(o);
        });
        sel.addEventListener("change", function () {
          api("PATCH", "/admin/users/" + u.id, { role: sel.value })
            .then(function () { status("Role of " + u.username + " changed."); })
            .catch(function (e) { fail(e); loadUsers(); });
        });
        roleTd.appendChild(sel);
        cell(tr, u.is_active ? "yes" : "no");
        var td = cell(tr, "");
        td.className = "actions";
        td.appendChild(button(u.is_active ? "Deactivate" : "Reactivate",
          "plain", function () {
            api("PATCH", "/admin/users/" + u.id, { is_active: !u.is_active })
              .then(function () {
                status(u.username + (u.is_active ? " deactivated." : " reactivated."));
                return loadUsers();
              }).catch(fail);
          }));
        td.appendChild(button("Delete", "danger", function () {
          if (!window.confirm("Delete " + u.username + " and everything they own?"))
            return;
          api("DELETE", "/users/" + u.id).then(function () {
            status(u.username + " deleted.");
            return loadUsers();
          }).catch(fail);
        }));
        tb.appendChild(tr);
      });
    }).catch(fail);
  }

  function loadAudit() {
    return api("GET", "/admin/audit?limit=100").then(function (list) {
      var tb = $("audit");
      tb.textContent = "";
      list.forEach(function (a) {
        var tr = document.createElement("tr");
        cell(tr, when(a.at));
        cell(tr, a.event);
        cell(tr, a.outcome);
        cell(tr, a.username || a.user_id);
        cell(tr, a.target_user_id);
        cell(tr, a.ip);
        cell(tr, a.detail);
        tb.appendChild(tr);
      });
    }).catch(fail);
  }

  function init() {
    $("signin-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      status("");
      api("POST", "/account/login", {
        username: $("username").value, password: $("password").value
      }).then(function (s) {
        $("password").value = "";
        started(s);
      }).catch(fail);
    });
    $("signout").addEventListener("click", function () {
      api("POST", "/account/logout").then(function () {
        showSignin();
        status("Signed out.");
      }).catch(fail);
    });
    $("password-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var keep = $("keep-keys").checked;
      api("POST", "/users/me/password", {
        current_password: $("current-password").value,
        new_password: $("new-password").value,
        keep_api_keys: keep
      }).then(function () {
        $("current-password").value = "";
        $("new-password").value = "";
        $("keep-keys").checked = false;
        showSignin();
        status(keep ? "Password changed. Every session ended: sign in again."
                    : "Password changed. Every session and API key ended: " +
                      "sign in again.");
      }).catch(fail);
    });
    $("key-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { name: $("key-name").value };
      var days = $("key-days").value;
      if (days) body.expires_in_days = parseInt(days, 10);
      api("POST", "/api-keys", body).then(function (k) {
        $("key-name").value = "";
        $("key-days").value = "";
        $("new-key-value").textContent = k.key;
        $("new-key").hidden = false;
        $("new-key-done").focus();
        return loadKeys();
      }).catch(fail);
    });
    $("new-key-done").addEventListener("click", function () {
      $("new-key-value").textContent = "";
      $("new-key").hidden = true;
    });
    $("audit-refresh").addEventListener("click", loadAudit);
    api("GET", "/account/session").then(started).catch(function (e) {
      showSignin();
      if (e.status !== 401) fail(e);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
