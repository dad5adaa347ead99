// The officials' page: sign in, a division's dashboard against its targets, and a map drawn
// from our own GeoJSON (county boundaries, station points by status, the gaps). Every call
// goes to the gateway that served this page; no tiles, fonts or scripts from elsewhere.
"use strict";

const TOKEN_KEY = "ruralnet.access_token";
const STATUS = {
  planned: ["规划中", "#9e9e9e"],
  building: ["建设中", "#fbc02d"],
  operating: ["运营中", "#2e7d32"],
  accepted: ["已验收", "#1565c0"],
  suspended: ["暂停", "#ef6c00"],
  closed: ["关闭", "#424242"],
};
const GAPS = {
  no_courier: ["无快递覆盖", "#d32f2f", ["points-without-carrier", "townships-without-courier"]],
  no_trained: ["无人培训", "#7b1fa2", ["points-without-trained"]],
};
const TIER = { county: "县级中心", township: "乡镇服务站", village: "村级服务点" };
const REPORTING = { reported: "已填报", overdue: "逾期未报", not_expected: "无需填报" };

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "style") Object.assign(node.style, v);  // CSSOM: allowed by our CSP
    else node.setAttribute(k, v);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// A link the API hands out is a public gateway URL; follow it on this page's own origin.
function local(url) {
  const u = new URL(url, location.href);
  return u.pathname + u.search;
}

async function api(path, options = {}) {
  const headers = { "Accept-Language": "zh", ...(options.headers || {}) };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...options, headers });
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (response.status === 401 && token) signOut();
  if (!response.ok) throw new ApiError(response.status, typeof body === "object" ? body : null);
  return body;
}

async function allPages(path, key) {
  const items = [];
  let next = path;
  while (next) {
    const page = await api(next);
    items.push(...page[key]);
    next = page.next ? local(page.next) : null;
  }
  return items;
}

function claims(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const json = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
  return JSON.parse(json);
}

// --- signing in -------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  $("signin-error").textContent = "";
  const form = new URLSearchParams({
    grant_type: "password",
    username: $("phone").value.trim(),
    password: $("password").value,
  });
  try {
    const answer = await api("/auth/token", {
      method: "POST",
      body: form,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    sessionStorage.setItem(TOKEN_KEY, answer.access_token);
    $("password").value = "";
    start();
  } catch (e) {
    $("signin-error").textContent = e.message;
  }
}

function signOut() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
  if (token) fetch("/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  $("work").hidden = true;
  $("logout").hidden = true;
  $("signin").hidden = false;
  $("who").textContent = "";
}

function start() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return;
  const who = claims(token);
  $("signin").hidden = true;
  $("work").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = who.div ? `管辖区划 ${who.div}` : "全国";
  if (!$("division").value) $("division").value = who.div || "";
  if ($("division").value) show();
}

// --- the map ----------------------------------------------------------------------------

let map = null;
let layers = null;

function ensureMap() {
  if (map) return;
  // No base map: offline networks reach no tile server; our layers are the map.
  map = L.map("map", { zoomControl: true, attributionControl: false, preferCanvas: false });
  map.setView([35, 105], 4);
  const legend = $("legend");
  for (const [, [name, colour]] of Object.entries(STATUS)) {
    legend.append(el("span", {}, el("span", { class: "swatch", style: { background: colour } }), name));
  }
  for (const [, [name, colour]] of Object.entries(GAPS)) {
    legend.append(el("span", {}, el("span", { class: "ring", style: { borderColor: colour } }), name));
  }
}

function code12(code) {
  return code.padEnd(12, "0");
}

async function counties(division) {
  if (division.length >= 6) return [division.slice(0, 6)];
  const children = await allPages(`/stations/v1/divisions/${code12(division)}/children?limit=500`, "items");
  if (division.length === 4) return children.map((c) => c.code.slice(0, 6));
  const nested = await Promise.all(
    children.map((p) => allPages(`/stations/v1/divisions/${p.code}/children?limit=500`, "items")),
  );
  return nested.flat().map((c) => c.code.slice(0, 6));
}

async function boundaries(division) {
  const codes = await counties(division);
  const simplify = codes.length > 20 ? "?simplify=0.005" : "";
  const found = await Promise.all(
    codes.map((c) =>
      api(`/stations/v1/divisions/${code12(c)}/boundary${simplify}`).catch((e) =>
        e.status === 404 ? null : Promise.reject(e),
      ),
    ),
  );
  return { type: "FeatureCollection", features: found.filter(Boolean) };
}

async function gapCodes(division, period) {
  const gaps = {};
  for (const [reason, [, , kinds]] of Object.entries(GAPS)) {
    gaps[reason] = new Set();
    for (const kind of kinds) {
      const query = new URLSearchParams({ division, limit: "500" });
      if (period) query.set("period", period);
      for (const row of await allPages(`/registry/v1/gaps/${kind}?${query}`, "items")) {
        if (row.station_code) gaps[reason].add(row.station_code);
      }
    }
  }
  return gaps;
}

async function drawMap(division, period) {
  ensureMap();
  const [outline, points, gaps] = await Promise.all([
    boundaries(division),
    allPages(`/stations/v1/stations?under=${division}&format=geojson&limit=500`, "features"),
    gapCodes(division, period),
  ]);
  if (layers) layers.forEach((layer) => map.removeLayer(layer));
  const counties = L.geoJSON(outline, {
    style: { color: "#555", weight: 1.5, fillColor: "#fff8e1", fillOpacity: 0.6, className: "county-boundary" },
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name),
  });
  const located = points.filter((f) => f.geometry);
  const rings = {};
  for (const [reason, [name, colour]] of Object.entries(GAPS)) {
    rings[reason] = L.layerGroup(
      located
        .filter((f) => gaps[reason].has(f.properties.code))
        .map((f) =>
          L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]], {
            radius: reason === "no_courier" ? 11 : 15, color: colour, weight: 2, dashArray: "4 3", fill: false,
            interactive: false, className: `gap-ring gap-${reason}`,
          }),
        ),
    );
  }
  const stations = L.geoJSON(
    { type: "FeatureCollection", features: located },
    {
      pointToLayer: (f, latlng) =>
        L.circleMarker(latlng, {
          radius: 7, color: "#fff", weight: 1.5, fillOpacity: 0.95,
          fillColor: (STATUS[f.properties.status] || ["", "#000"])[1],
          className: `station-point status-${f.properties.status}`,
        }),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(`${f.properties.name}(${(STATUS[f.properties.status] || [f.properties.status])[0]})`);
        layer.on("click", () => showRecord(f.properties.code));
        layer.on("add", () => layer.getElement() && layer.getElement().setAttribute("data-code", f.properties.code));
      },
    },
  );
  layers = [counties, rings.no_courier, rings.no_trained, stations];
  layers.forEach((layer) => layer.addTo(map));
  const control = L.control.layers(null, {
    县级行政区边界: counties, 站点: stations,
    [GAPS.no_courier[0]]: rings.no_courier, [GAPS.no_trained[0]]: rings.no_trained,
  }, { collapsed: false });
  if (drawMap.control) drawMap.control.remove();
  drawMap.control = control.addTo(map);
  const bounds = outline.features.length ? counties.getBounds() : stations.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  $("map").dataset.points = String(located.length);
  $("map").dataset.unlocated = String(points.length - located.length);
  $("map").dataset.gapNoCourier = String(rings.no_courier.getLayers().length);
  $("map").dataset.gapNoTrained = String(rings.no_trained.getLayers().length);
}

// --- a station's record -----------------------------------------------------------------

function dl(pairs) {
  const list = el("dl");
  for (const [k, v] of pairs) list.append(el("dt", {}, k), el("dd", {}, v ?? "—"));
  return list;
}

async function showRecord(code) {
  const body = $("record-body");
  $("record").hidden = false;
  body.replaceChildren(el("p", {}, "正在读取…"));
  try {
    const period = $("period").value.trim();
    const r = await api(`/registry/v1/stations/${code}${period ? `?period=${period}` : ""}`);
    const s = r.station || {};
    const carriers = (r.carriers && r.carriers.carriers) || [];
    const parts = [
      el("h3", { id: "record-name" }, s.name || code),
      dl([
        ["站点编码", r.code],
        ["层级", TIER[s.tier] || s.tier],
        ["状态", (STATUS[s.status] || [s.status])[0]],
        ["所在区划", `${s.division_name || ""} ${s.division_code || ""}`],
        ["地址", s.address],
        ["运营人", s.operator && s.operator.name],
        ["运营人电话", s.operator && s.operator.phone],
        ["承办企业", s.company && s.company.name],
        ["上月填报", r.reporting ? `${r.reporting.month} ${REPORTING[r.reporting.state] || r.reporting.state}` : null],
        ["快递公司", carriers.length ? carriers.map((c) => `${c.name_zh}(每周${c.deliveries_per_week}次)`).join("、") : "无"],
        ["培训人次", r.training ? `${r.training.people_times} 人次 / ${r.training.persons} 人` : null],
      ]),
    ];
    if (r.partial) {
      parts.push(el("p", { class: "partial" }, "部分信息暂缺:" + r.errors.map((e) => `${e.part}(${e.service}:${e.code})`).join(";")));
    }
    body.replaceChildren(...parts);
  } catch (e) {
    body.replaceChildren(el("p", { class: "error" }, e.message));
  }
}

// --- the dashboard ----------------------------------------------------------------------

function number(v) {
  return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN", { maximumFractionDigits: 2 });
}

async function drawDashboard(division, period) {
  const query = period ? `?period=${encodeURIComponent(period)}` : "";
  const board = await api(`/registry/v1/dashboards/${division}${query}`);
  const d = board.division;
  const targets = el("table", { id: "targets" },
    el("thead", {}, el("tr", {}, ...["指标", "数值", "目标", "差距", "截止", "状态"].map((h) => el("th", {}, h)))));
  const rows = el("tbody");
  for (const t of d.targets) {
    rows.append(el("tr", {},
      el("td", {}, t.indicator_name_zh), el("td", { class: "num" }, number(t.value)),
      el("td", { class: "num" }, `${t.comparator === "le" ? "≤" : "≥"} ${number(t.target)}`),
      el("td", { class: "num" }, number(t.gap)), el("td", {}, t.deadline || "—"),
      el("td", { class: `s-${t.status}` }, t.status_zh)));
  }
  targets.append(rows);
  // Figures without a target are shown, not judged (ADR 0071).
  const figures = el("table", { id: "figures" },
    el("thead", {}, el("tr", {}, el("th", {}, "指标"), el("th", {}, "数值"))));
  const figureRows = el("tbody");
  for (const info of board.indicators) {
    if (info.code in d.values) {
      figureRows.append(el("tr", {}, el("td", {}, info.name_zh), el("td", { class: "num" }, number(d.values[info.code]))));
    }
  }
  figures.append(figureRows);
  const children = el("table", { id: "children" },
    el("thead", {}, el("tr", {}, ...["下级区划", "最差状态", "已达标", "滞后/逾期"].map((h) => el("th", {}, h)))));
  const childRows = el("tbody");
  for (const c of board.children) {
    const worst = c.worst ? c.targets.find((t) => t.status === c.worst) : null;
    childRows.append(el("tr", {},
      el("td", {}, c.name), el("td", { class: worst ? `s-${c.worst}` : "" }, worst ? worst.status_zh : "—"),
      el("td", { class: "num" }, c.statuses.met || 0),
      el("td", { class: "num" }, (c.statuses.behind || 0) + (c.statuses.overdue || 0))));
  }
  children.append(childRows);
  const parts = [
    el("h3", {}, `${d.name} · ${board.period.label}`),
    d.targets.length ? targets : el("p", {}, "该区划没有采纳的目标"),
    children,
    el("h3", {}, "全部指标"),
    figures,
  ];
  if (board.partial) parts.push(el("p", { class: "partial" }, "部分数据暂缺"));
  $("dashboard-body").replaceChildren(...parts);
}

async function show(event) {
  if (event) event.preventDefault();
  const division = $("division").value.trim();
  const period = $("period").value.trim();
  $("status").textContent = "正在加载…";
  $("map").dataset.ready = "false";
  // One failing (a dashboard outside your scope) leaves the other standing.
  const done = await Promise.allSettled([drawMap(division, period), drawDashboard(division, period)]);
  $("status").textContent = done.filter((d) => d.status === "rejected").map((d) => d.reason.message).join(";");
  $("map").dataset.ready = "true";
}

$("signin-form").addEventListener("submit", signIn);
$("division-form").addEventListener("submit", show);
$("logout").addEventListener("click", signOut);
start();
