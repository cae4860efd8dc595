#!/usr/bin/python3
"""hiveref — an independent Python reference for the Workers' planning problem
(lib/localqp.h, over the assets of lib/assets.h) and the hive's centralized
optimum (the cost g at the point of common coupling of lib/sharing.h), used
by tests to check the C code. The formulation is written from the documented
semantics only, not from lib/localqp.c.

Usage:
  hiveref.py local FILE
      FILE: one Worker's problem per line,
        {"id":…, "start":RFC3339, "step":900, "slots":T, "net":[T],
         "export":[T] (optional), "assets":[header record, asset records…],
         "mode":"alone", "buy":[T], "sell":[T]          (per-Wh prices)
         | "mode":"step", "rho":ρ, "v":[T]}
      prints per line {"id", "status", "objective", "own_cost", "net"}:
      alone is an LP (scipy HiGHS), step a QP (cvxopt).
  hiveref.py gen DIR --seed S --workers N --slots T [--limits] [--peak]
                     [--flexible-share F]
      writes tariff.ndjson, forecasts.ndjson, assets-K.ndjson (K the
      Worker's index in forecasts.ndjson, for about F of them) and hive.json,
      feasible (checked by solving).
  hiveref.py central DIR [--check BIDS]
      prints {"optimum", "alone", "status", "workers", "seconds"}; with
      --check, {"feasible", "cost", "optimum", "gap", "infeasible",
      "missing", "within_limits"} for the "bid" records' plan_wh in BIDS
      (a Worker without assets and without a bid counts at its forecast).
  hiveref.py batch < LINES
      each line "OUT COMMAND ARGS…" (split as a shell would, without
      expansions) runs COMMAND as above, its output written to the file
      OUT ("-": stdout), all in this one process: a test of hundreds of
      hives spares a Python start and its imports per hive. A command
      that fails is reported on stderr with its line; the others run, and
      the exit status is 1.

Only absolute times (RFC 3339) are supported in assets; a daily "HH:MM"
window or goal is an error. Energies are Wh per slot, prices per Wh (the
files' base units per kWh / 1000).
"""
import argparse
import contextlib
import datetime
import glob
import json
import math
import os
import random
import re
import shlex
import sys
import time

import cvxopt
import cvxopt.solvers
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

INF = math.inf
CHECK_TOL = 2e-3        # Wh: how far a checked plan may be from a bound (bids round plans to 0.001 Wh)
START = "2026-06-21T00:00:00Z"
STEP = 900


class InputError(Exception):
    pass


# ---------------------------------------------------------------- time

def parse_time(text, what):
    """Unix ms of an RFC 3339 time; a daily "HH:MM" time is refused."""
    if re.fullmatch(r"\d\d:\d\d", text):
        raise InputError(f"{what}: daily time {text!r}: only absolute (RFC 3339) times are supported")
    stamp = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        raise InputError(f"{what}: {text!r} has no zone")
    return round(stamp.timestamp() * 1000)


def format_time(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Horizon:
    """T slots of step seconds from start_ms."""

    def __init__(self, start_ms, step_s, slots):
        self.start, self.step_ms, self.T = start_ms, step_s * 1000, slots
        self.end = start_ms + self.T * self.step_ms
        self.dt_h = step_s / 3600

    def hours_inside(self, a_ms, b_ms):
        """Per slot, the hours of the slot inside [a_ms, b_ms)."""
        lo = self.start + np.arange(self.T) * self.step_ms
        overlap = np.minimum(lo + self.step_ms, b_ms) - np.maximum(lo, a_ms)
        return np.maximum(overlap, 0) / 3.6e6

    def goal_slot(self, by_ms):
        """The last slot that ends by by_ms, or None when it is in the first slot or after the horizon."""
        k = (by_ms - self.start) // self.step_ms - 1
        return None if k < 0 or by_ms > self.end else int(k)


def price_per_wh(text):
    """A price string of base units per kWh, per Wh."""
    if not re.fullmatch(r"0|[1-9][0-9]*", text):
        raise InputError(f"price {text!r} is not a string of decimal digits")
    return int(text) / 1000


# ---------------------------------------------------------------- the Worker's problem

class Worker:
    """One Worker's problem (localqp.h): flows f with lb ≤ f ≤ ub, own cost
    φ = cost·f, range rows lo ≤ terms·f ≤ hi, and the net x = L + D f within
    [xlo, xhi]. infeasible: a row without variables that cannot hold was
    met while building."""

    def __init__(self, hz, net, export, address=""):
        self.hz, self.address = hz, address
        self.L = np.asarray(net, float)
        self.X = np.maximum(-self.L, 0) if export is None else np.asarray(export, float)
        self.xlo, self.xhi = -INF, INF
        self.lb, self.ub, self.cost = [], [], []
        self.net_terms = []             # (slot, variable, coefficient)
        self.rows = []                  # ([(variable, coefficient)], lo, hi)
        self.infeasible = False

    @property
    def n(self):
        return len(self.lb)

    def var(self, lb, ub, cost):
        self.lb.append(lb)
        self.ub.append(ub)
        self.cost.append(cost)
        return self.n - 1

    def flow(self, ub, cost, slot, sign):
        """A flow in [0, ub] entering x_slot with sign; None when ub ≤ 0."""
        if ub <= 0:
            return None
        j = self.var(0.0, ub, cost)
        self.net_terms.append((slot, j, sign))
        return j

    def row(self, terms, lo, hi):
        """lo ≤ Σ a·f_j ≤ hi over the terms (j, a) whose j is not None."""
        terms = [(j, a) for j, a in terms if j is not None]
        if terms:
            self.rows.append((terms, lo, hi))
        elif not lo <= 0 <= hi:
            self.infeasible = True

    def D(self):
        s, j, a = zip(*self.net_terms) if self.net_terms else ((), (), ())
        return sp.csr_matrix((a, (s, j)), shape=(self.hz.T, self.n))

    def R(self):
        """The range rows as (matrix, lo, hi)."""
        r = [i for i, (terms, _, _) in enumerate(self.rows) for _ in terms]
        j = [j for terms, _, _ in self.rows for j, _ in terms]
        a = [a for terms, _, _ in self.rows for _, a in terms]
        M = sp.csr_matrix((a, (r, j)), shape=(len(self.rows), self.n))
        return M, np.array([lo for _, lo, _ in self.rows]), np.array([hi for _, _, hi in self.rows])

    def constraints(self):
        """The range rows and xlo ≤ L + D f ≤ xhi as one (matrix, lo, hi); rows with no finite bound are
        dropped by the solvers."""
        R, lo, hi = self.R()
        return (sp.vstack([R, self.D()], format="csr"), np.concatenate([lo, self.xlo - self.L]),
                np.concatenate([hi, self.xhi - self.L]))

    def net_of(self, f):
        return self.L + self.D() @ f

    def own_cost(self, f):
        return float(np.dot(self.cost, f))


def build_worker(hz, net, export, records, address=""):
    """The documented problem of a Worker with the assets file records (header first)."""
    w = Worker(hz, net, export, address)
    header = records[0]
    if header.get("type") != "assets":
        raise InputError("the first assets record is not the header")
    w.xhi = header.get("import_max_w", INF) * hz.dt_h
    w.xlo = -header.get("export_max_w", INF) * hz.dt_h
    solar = [[] for _ in range(hz.T)]   # per slot, the draws of "solar" assets
    pv = [[] for _ in range(hz.T)]      # per slot, the curtailments
    for a in records[1:]:
        kind = a.get("type")
        if kind == "battery":
            add_battery(w, a, solar)
        elif kind in ("deferrable", "ev"):
            add_load(w, a, solar)
        elif kind == "pv":
            add_pv(w, a, pv)
        else:
            raise InputError(f"asset type {kind!r}")
    for t in range(hz.T):
        for terms in (pv[t], solar[t]):
            if len(terms) > 1:          # one alone is bounded by X_t already
                w.row([(j, 1.0) for j in terms], -INF, w.X[t])
    return w


def add_battery(w, a, solar):
    hz, name = w.hz, a["name"]
    is_solar = a.get("source", "any") == "solar"
    eta_c, eta_d = a.get("charge_efficiency", 1), a.get("discharge_efficiency", 1)
    soc_min, soc_max = a.get("soc_min_wh", 0), a.get("soc_max_wh", a["capacity_wh"])
    cost = price_per_wh(a.get("cycle_cost", "0"))
    cmax = np.full(hz.T, a["charge_w"] * hz.dt_h)
    if is_solar:
        cmax = np.minimum(cmax, w.X)
    # the state at the end of each slot when charging at full power from soc_wh: as hive-bid(1) says, no
    # more than the Worker's surplus for a solar battery, nor than what the connection's import limit
    # leaves over the uncontrolled net (this battery alone, the Worker's other assets idle)
    full = np.minimum(cmax, np.maximum(w.xhi - w.L, 0)) if w.xhi < INF else cmax
    reach = np.minimum(soc_max, a["soc_wh"] + eta_c * np.cumsum(full))
    floor = np.full(hz.T, float(soc_min))
    floor[-1] = max(floor[-1], min(a.get("soc_final_wh", a["soc_wh"]), reach[-1]))
    for g in a.get("goals", []):
        k = hz.goal_slot(parse_time(g["by"], f"battery {name} goal"))
        if k is not None:
            floor[k] = max(floor[k], min(g["soc_wh"], reach[k]))
    prev = None
    for t in range(hz.T):
        c = w.flow(cmax[t], cost, t, 1.0)
        d = w.flow(a["discharge_w"] * hz.dt_h, cost, t, -1.0)
        s = w.var(floor[t], soc_max, 0.0)
        start = a["soc_wh"] if prev is None else 0.0
        w.row([(s, 1.0), (prev, -1.0), (c, -eta_c), (d, 1 / eta_d)], start, start)
        if is_solar and c is not None:
            solar[t].append(c)
        prev = s


def add_load(w, a, solar):
    hz, name = w.hz, a["name"]
    if "from" in a or "to" in a:
        raise InputError(f"load {name}: daily window: only release/deadline are supported")
    release = parse_time(a["release"], f"load {name} release")
    deadline = parse_time(a["deadline"], f"load {name} deadline")
    if deadline <= hz.start or release >= hz.end:
        return
    power, energy = a["power_w"], a["energy_wh"]
    cap = power * hz.hours_inside(release, deadline)
    is_solar = a.get("source", "any") == "solar"
    if is_solar:
        cap = np.minimum(cap, w.X)
    had = a.get("delivered_wh", 0) if release < hz.start else 0
    after_h = max(0, deadline - hz.end) / 3.6e6
    lo = max(0.0, a.get("energy_min_wh", energy) - had - power * after_h)
    value = price_per_wh(a.get("value", "0"))
    draws = [w.flow(cap[t], -value, t, 1.0) for t in range(hz.T)]
    w.row([(j, 1.0) for j in draws], lo, energy - had)
    if is_solar:
        for t, j in enumerate(draws):
            if j is not None:
                solar[t].append(j)


def add_pv(w, a, pv):
    cost = price_per_wh(a.get("curtail_cost", "0"))
    for t in range(w.hz.T):
        j = w.flow(w.X[t], cost, t, 1.0)
        if j is not None:
            pv[t].append(j)


# ---------------------------------------------------------------- solvers

def split_ranges(A, lo, hi):
    """lo ≤ A z ≤ hi as (A_ub, b_ub, A_eq, b_eq); rows with no finite bound vanish."""
    A = sp.csr_matrix(A)
    eq = lo == hi
    up = ~eq & np.isfinite(hi)
    dn = ~eq & np.isfinite(lo)
    return (sp.vstack([A[up], -A[dn]], format="csr"), np.concatenate([hi[up], -lo[dn]]),
            A[eq], lo[eq])


def solve_lp(c, lb, ub, A, lo, hi):
    """min c·z, lb ≤ z ≤ ub, lo ≤ A z ≤ hi by HiGHS: (status, z)."""
    A_ub, b_ub, A_eq, b_eq = split_ranges(A, lo, hi)
    res = linprog(c, A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
                  A_eq=A_eq if A_eq.shape[0] else None, b_eq=b_eq if A_eq.shape[0] else None,
                  bounds=np.column_stack([lb, ub]), method="highs",
                  options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9})
    status = {0: "optimal", 2: "infeasible", 3: "unbounded"}.get(res.status, f"failed: {res.message}")
    return status, res.x


def slot_cost(E, buy, sell):
    """Σ_t f_t(E_t): buy_t·E for E ≥ 0, sell_t·E otherwise."""
    return float(np.sum(np.where(E >= 0, buy * E, sell * E)))


class Hive:
    """The cost g at the point of common coupling (sharing.h), prices per Wh."""

    def __init__(self, buy, sell, import_max=INF, export_max=INF, peak=0.0):
        self.buy, self.sell = np.asarray(buy, float), np.asarray(sell, float)
        if np.any(self.buy < self.sell):
            raise InputError("a slot has buy < sell")
        self.import_max, self.export_max, self.peak = import_max, export_max, peak

    def cost(self, E, tol=0.0):
        """g(E), or None beyond the limits (by more than tol)."""
        if np.any(E > self.import_max + tol) or np.any(E < -self.export_max - tol):
            return None
        return slot_cost(E, self.buy, self.sell) + self.peak * max(0.0, float(np.max(E)))


def solve_hive(workers, hive):
    """min Σ φ_i + g(Σ x_i) over the Workers' problems: (status, objective, [f_i])."""
    if any(w.infeasible for w in workers):
        return "infeasible", None, None
    T = hive.buy.size
    npk = 1 if hive.peak > 0 else 0
    nf = sum(w.n for w in workers)
    I = sp.identity(T, format="csr")
    own = [w.constraints() for w in workers]
    D_all = sp.hstack([w.D() for w in workers] + [sp.csr_matrix((T, 0))])
    zeros = lambda m, k: sp.csr_matrix((m, k))
    blocks = [
        [sp.block_diag([M for M, _, _ in own]), zeros(sum(M.shape[0] for M, _, _ in own), 2 * T + npk)],
        [D_all, sp.hstack([-I, I, zeros(T, npk)])],
    ]
    lo = [np.concatenate([x[1] for x in own]), -sum(w.L for w in workers)]
    hi = [np.concatenate([x[2] for x in own]), lo[1]]
    if npk:
        blocks.append([zeros(T, nf), sp.hstack([I, -I, -np.ones((T, 1))])])
        lo.append(np.full(T, -INF))
        hi.append(np.zeros(T))
    A = sp.vstack([sp.hstack(b) for b in blocks], format="csr")
    c = np.concatenate([np.asarray(w.cost, float) for w in workers] + [hive.buy, -hive.sell, [hive.peak] * npk])
    lb = np.concatenate([w.lb for w in workers] + [np.zeros(2 * T + npk)])
    ub = np.concatenate([w.ub for w in workers] + [np.full(T, hive.import_max), np.full(T, hive.export_max),
                                                   [INF] * npk])
    status, z = solve_lp(c, lb, ub, A, np.concatenate(lo), np.concatenate(hi))
    if status != "optimal":
        return status, None, None
    flows = np.split(z[:nf], np.cumsum([w.n for w in workers])[:-1])
    E = sum(w.net_of(f) for w, f in zip(workers, flows))
    return status, sum(w.own_cost(f) for w, f in zip(workers, flows)) + hive.cost(E, tol=1e-6), flows


def solve_step(w, rho, v):
    """min φ + ρ/2‖x − v‖² by cvxopt, with x = L + D f eliminated: (status, f)."""
    if w.infeasible:
        return "infeasible", None
    if w.n == 0:
        ok = np.all(w.L <= w.xhi) and np.all(w.L >= w.xlo)
        return ("optimal", np.zeros(0)) if ok else ("infeasible", None)
    A, lo, hi = w.constraints()
    lb, ub = np.asarray(w.lb, float), np.asarray(w.ub, float)
    if solve_lp(np.zeros(w.n), lb, ub, A, lo, hi)[0] == "infeasible":
        return "infeasible", None       # HiGHS says so reliably, cvxopt not always
    D = w.D()
    P = rho * (D.T @ D)
    q = np.asarray(w.cost, float) + rho * (D.T @ (w.L - np.asarray(v, float)))
    G, h, Aeq, beq = split_ranges(sp.vstack([A, sp.identity(w.n)]), np.concatenate([lo, lb]),
                                  np.concatenate([hi, ub]))

    def spm(M):
        M = sp.coo_matrix(M)
        return cvxopt.spmatrix(M.data.tolist(), M.row.tolist(), M.col.tolist(), M.shape)

    opts = {"abstol": 1e-10, "reltol": 1e-10, "feastol": 1e-10, "show_progress": False, "maxiters": 200}
    eq = (spm(Aeq), cvxopt.matrix(beq)) if Aeq.shape[0] else (None, None)
    # The sparse Cholesky KKT solver is fast but often stops short of these
    # tolerances (a singular KKT matrix near the solution); the dense LDLᵀ
    # one reaches them.
    for kkt in ("chol2", "ldl"):
        try:
            sol = cvxopt.solvers.qp(spm(P), cvxopt.matrix(q), spm(G), cvxopt.matrix(h), *eq, kktsolver=kkt,
                                    options=opts)
            status = {"primal infeasible": "infeasible", "dual infeasible": "unbounded"}.get(sol["status"],
                                                                                           sol["status"])
        except (ValueError, ArithmeticError) as e:
            status, sol = f"failed: {e}", {"x": None}
        if status in ("optimal", "infeasible", "unbounded"):
            break
    return status, (np.array(sol["x"]).ravel() if sol["x"] is not None else None)


def fixed_net_cost(w, plan):
    """The least φ of a Worker whose net is fixed to plan (within CHECK_TOL), or None when it cannot be."""
    plan = np.asarray(plan, float)
    if w.infeasible or np.any(plan > w.xhi + CHECK_TOL) or np.any(plan < w.xlo - CHECK_TOL):
        return None
    if w.n == 0:
        return 0.0 if np.all(np.abs(plan - w.L) <= CHECK_TOL) else None
    R, rlo, rhi = w.R()
    flows = plan - w.L                  # what D f must be
    A = sp.vstack([R, w.D()])
    status, f = solve_lp(np.asarray(w.cost, float), np.asarray(w.lb, float), np.asarray(w.ub, float), A,
                         np.concatenate([rlo, flows - CHECK_TOL]), np.concatenate([rhi, flows + CHECK_TOL]))
    return w.own_cost(f) if status == "optimal" else None


# ---------------------------------------------------------------- local

def solve_local(p):
    T = p["slots"]
    hz = Horizon(parse_time(p["start"], "start"), p["step"], T)
    w = build_worker(hz, p["net"], p.get("export"), p["assets"])
    if p["mode"] == "alone":
        status, _, flows = solve_hive([w], Hive(p["buy"], p["sell"]))
        f = flows[0] if flows else None
    elif p["mode"] == "step":
        status, f = solve_step(w, p["rho"], p["v"])
    else:
        raise InputError(f"mode {p['mode']!r}")
    out = {"id": p.get("id"), "status": status, "objective": None, "own_cost": None, "net": None}
    if f is not None:
        x = w.net_of(f)
        tariff = (slot_cost(x, np.asarray(p["buy"], float), np.asarray(p["sell"], float)) if p["mode"] == "alone"
                  else p["rho"] / 2 * float(np.sum((x - np.asarray(p["v"], float)) ** 2)))
        out.update(objective=w.own_cost(f) + tariff, own_cost=w.own_cost(f), net=x.tolist())
    return out


def cmd_local(args):
    with open(args.file) as fh:
        for line in fh:
            if line.strip():
                print(json.dumps(solve_local(json.loads(line))), flush=True)


# ---------------------------------------------------------------- instances

def read_ndjson(path):
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def read_tariff(path, hz):
    """Per-Wh buy and sell of each slot of a "dynamic" tariff."""
    head, *prices = read_ndjson(path)
    if head.get("type") != "tariff" or head.get("kind") != "dynamic":
        raise InputError(f"{path}: only dynamic tariffs are read")
    by_start = {parse_time(r["start"], "price"): r for r in prices if r.get("type") == "price"}
    starts = [hz.start + t * hz.step_ms for t in range(hz.T)]
    missing = [format_time(s) for s in starts if s not in by_start]
    if missing:
        raise InputError(f"{path}: no price for the slot at {missing[0]}")
    buy = [price_per_wh(by_start[s]["buy"]) for s in starts]
    sell = [price_per_wh(by_start[s]["sell"]) for s in starts]
    return buy, sell


def read_instance(d):
    """The Workers (forecast order; no assets file: inflexible) and the Hive of an instance directory."""
    forecasts = [r for r in read_ndjson(os.path.join(d, "forecasts.ndjson")) if r.get("type") == "forecast"]
    first = forecasts[0]
    hz = Horizon(parse_time(first["start"], "forecast start"), first["step"], len(first["series"]["net_wh"]["point"]))
    assets = {}
    for path in sorted(glob.glob(os.path.join(d, "assets-*.ndjson"))):
        records = read_ndjson(path)
        assets[records[0].get("worker", "").lower()] = records
    workers = []
    for fc in forecasts:
        shape = (fc["start"], fc["step"], len(fc["series"]["net_wh"]["point"]))
        if shape != (first["start"], first["step"], hz.T):
            raise InputError(f"forecast of {fc['meter']}: another horizon")
        export = fc["series"].get("export_wh", {}).get("point")
        records = assets.pop(fc["meter"].lower(), [{"type": "assets"}])
        workers.append(build_worker(hz, fc["series"]["net_wh"]["point"], export, records, fc["meter"]))
    if assets:
        raise InputError(f"assets of {sorted(assets)[0]} without a forecast")
    with open(os.path.join(d, "hive.json")) as fh:
        opts = json.load(fh)
    buy, sell = read_tariff(os.path.join(d, "tariff.ndjson"), hz)
    hive = Hive(buy, sell, opts.get("import_max_w", INF) * hz.dt_h, opts.get("export_max_w", INF) * hz.dt_h,
                opts.get("peak_price_per_kw", 0) / (1000 * hz.dt_h))
    return workers, hive


def read_plans(path, workers):
    """Each bid's plan_wh; its first slot, which bids round to whole Wh, rebuilt from the forecast and
    the asset schedules (to 0.001 Wh) when the bid has them."""
    L0 = {w.address.lower(): w.L[0] for w in workers}
    plans = {}
    for r in read_ndjson(path):
        if r.get("type") != "bid":
            continue
        plan = list(r["plan_wh"])
        sched = r.get("schedules")
        if sched is not None and r["worker"].lower() in L0:
            x0 = L0[r["worker"].lower()]
            for s in sched.values():
                x0 += s.get("charge_wh", [0])[0] - s.get("discharge_wh", [0])[0]
                x0 += s.get("energy_wh", [0])[0] + s.get("curtailed_wh", [0])[0]
            if abs(x0 - plan[0]) > 0.5 + 1e-6:
                raise InputError(f"bid of {r['worker']}: plan_wh[0] is not its schedules' net rounded")
            plan[0] = x0
        plans[r["worker"].lower()] = plan
    return plans


def check_plans(workers, hive, plans, optimum, limit_tol=0.0):
    """Whether the plans are feasible, and Σ φ_i + g(Σ plan) with each φ_i least for its plan. A Worker
    without assets and without a bid is taken at its forecast net, its only plan."""
    infeasible, missing, own = [], [], 0.0
    E = np.zeros(hive.buy.size)
    for w in workers:
        plan = plans.get(w.address.lower(), w.L if w.n == 0 else None)
        phi = fixed_net_cost(w, plan) if plan is not None and len(plan) == hive.buy.size else None
        if phi is None:
            (missing if plan is None else infeasible).append(w.address)
            continue
        own += phi
        E += np.asarray(plan, float)
    g = hive.cost(E, tol=max(CHECK_TOL * len(workers), limit_tol)) if not infeasible and not missing else None
    cost = None if g is None else own + g
    gap = (cost - optimum) / abs(optimum) if cost is not None and optimum else None
    return {"feasible": cost is not None, "cost": cost, "optimum": optimum, "gap": gap,
            "infeasible": infeasible, "missing": missing,
            "within_limits": None if infeasible or missing else g is not None}


def cmd_central(args):
    workers, hive = read_instance(args.dir)
    began = time.perf_counter()
    status, optimum, _ = solve_hive(workers, hive)
    seconds = time.perf_counter() - began
    if args.check:
        print(json.dumps(check_plans(workers, hive, read_plans(args.check, workers), optimum, args.limit_tol)))
        return
    alone_hive = Hive(hive.buy, hive.sell)
    alone = [solve_hive([w], alone_hive)[1] for w in workers]
    total = None if None in alone else sum(alone)
    print(json.dumps({"optimum": optimum, "alone": total, "status": status, "workers": len(workers),
                      "seconds": round(seconds, 4)}))


# ---------------------------------------------------------------- keccak256, EIP-55

def keccak_constants():
    """The round constants (from the LFSR x^8+x^6+x^5+x^4+1) and the rotation offsets of keccak-f[1600]."""
    bits, r = [], 1
    for _ in range(7 * 24):
        bits.append(r & 1)
        r <<= 1
        if r & 0x100:
            r ^= 0x171
    rc = [sum(bits[7 * i + j] << (2 ** j - 1) for j in range(7)) for i in range(24)]
    rot, (x, y) = [0] * 25, (1, 0)
    for t in range(24):
        rot[x + 5 * y] = (t + 1) * (t + 2) // 2 % 64
        x, y = y, (2 * x + 3 * y) % 5
    return rc, rot


KECCAK_RC, KECCAK_ROT = keccak_constants()
MASK64 = (1 << 64) - 1


def keccak_f(a):
    rol = lambda v, n: ((v << n) | (v >> (64 - n))) & MASK64
    for rc in KECCAK_RC:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = rol(a[x + 5 * y], KECCAK_ROT[x + 5 * y])
        a = [b[i] ^ (~b[(i + 1) % 5 + i // 5 * 5] & b[(i + 2) % 5 + i // 5 * 5]) for i in range(25)]
        a[0] ^= rc
    return a


def keccak256(data):
    rate = 136
    padded = bytearray(data) + b"\x01" + bytes(-(len(data) + 1) % rate)
    padded[-1] |= 0x80
    state = [0] * 25
    for off in range(0, len(padded), rate):
        block = padded[off:off + rate]
        for i in range(rate // 8):
            state[i] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        state = keccak_f(state)
    return b"".join(v.to_bytes(8, "little") for v in state[:4])


def eip55(raw20):
    hexa = raw20.hex()
    digest = keccak256(hexa.encode()).hex()
    return "0x" + "".join(ch.upper() if int(digest[i], 16) >= 8 else ch for i, ch in enumerate(hexa))


# ---------------------------------------------------------------- gen

def gen_tariff(rng, T):
    """Integer buy ≥ sell per slot (base units per kWh): flat, daily-shaped or volatile."""
    shape = rng.choice(["flat", "daily", "volatile"])
    base_buy, base_sell = rng.uniform(150000, 400000), rng.uniform(0, 120000)
    buy, sell = [], []
    level = 1.0
    for t in range(T):
        hour = t * STEP / 3600 % 24
        if shape == "flat":
            f = 1.0
        elif shape == "daily":
            f = 1 + 0.35 * math.sin(2 * math.pi * (hour - 12) / 24) - 0.25 * math.exp(-((hour - 11.5) / 2.5) ** 2)
        else:
            level = min(1.6, max(0.4, level * math.exp(rng.gauss(0, 0.12))))
            f = level * (1.8 if rng.random() < 0.05 else 1.0)
        b = round(min(400000, max(150000, base_buy * f)))
        s = round(min(120000, max(0, base_sell * (f if shape != "flat" else 1.0))))
        buy.append(b)
        sell.append(min(s, b))
    return buy, sell


def gen_profile(rng, T):
    """A household's net and export (Wh per 15 min): load 50–800, PV of 0 or 3–10 kWp."""
    kwp = 0 if rng.random() < 0.35 else rng.uniform(3, 10)
    base, morning, evening = rng.uniform(50, 150), rng.uniform(100, 400), rng.uniform(150, 500)
    net, export = [], []
    for t in range(T):
        hour = t * STEP / 3600 % 24
        load = (base + morning * math.exp(-((hour - 6) / 1.2) ** 2) + evening * math.exp(-((hour - 18) / 1.8) ** 2)
                + (rng.uniform(100, 400) if rng.random() < 0.08 else 0) + rng.uniform(-20, 20))
        load = min(800, max(50, load)) * STEP / 900
        sun = max(0.0, math.sin(math.pi * (hour - 3.5) / 16)) ** 1.3
        pv = kwp * 1000 * STEP / 3600 * 0.8 * sun * rng.uniform(0.6, 1.0)
        x = round(load - pv, 1)
        extra = rng.uniform(0, 0.1) * min(load, pv) if pv > 0 and rng.random() < 0.5 else 0
        net.append(x)
        export.append(round(max(0.0, -x) + extra, 1))
    return net, export


def gen_time(rng, hz, lo_h, hi_h):
    """An instant lo_h–hi_h hours from the horizon's start, on 5 minutes."""
    return hz.start + 300000 * round(rng.uniform(lo_h, hi_h) * 12)


def gen_battery(rng, hz, name, has_pv):
    cap = 100 * rng.randint(20, 150)
    soc_min = round(cap * rng.uniform(0, 0.2))
    soc_max = round(cap * rng.uniform(0.8, 1.0))
    b = {"type": "battery", "name": name, "capacity_wh": cap, "charge_w": 100 * rng.randint(10, 50),
         "discharge_w": 100 * rng.randint(10, 50), "soc_wh": round(rng.uniform(soc_min, soc_max))}
    if rng.random() < 0.7:
        b.update(charge_efficiency=round(rng.uniform(0.85, 1), 3), discharge_efficiency=round(rng.uniform(0.85, 1), 3))
    if rng.random() < 0.7:
        b.update(soc_min_wh=soc_min, soc_max_wh=soc_max)
    else:
        soc_min, soc_max = 0, cap
    if rng.random() < 0.3:
        b["soc_final_wh"] = round(rng.uniform(soc_min, soc_max))
    if rng.random() < 0.8:
        b["cycle_cost"] = str(rng.randint(0, 30000))
    if has_pv and rng.random() < 0.25:
        b["source"] = "solar"
    if rng.random() < 0.35:
        horizon_h = hz.T * hz.dt_h
        # within the horizon, or clearly after it (a time in the slot after its end reads two ways)
        b["goals"] = [{"by": format_time(gen_time(rng, hz, 2 * hz.dt_h, horizon_h) if rng.random() < 0.85
                                         else gen_time(rng, hz, horizon_h + 2, horizon_h + 12)),
                       "soc_wh": round(rng.uniform(soc_min, soc_max))} for _ in range(rng.randint(1, 2))]
    return b


def gen_load(rng, hz, name, kind, X):
    """A deferrable or ev with one absolute window that overlaps the horizon."""
    horizon_h = hz.T * hz.dt_h
    power = rng.choice([3700, 7400, 11000]) if kind == "ev" else 100 * rng.randint(5, 30)
    length_h = rng.uniform(1, 14)
    release = gen_time(rng, hz, -length_h + 0.25, horizon_h - 0.25)
    deadline = release + 300000 * round(length_h * 12)
    load = {"type": kind, "name": name, "power_w": power,
            "release": format_time(release), "deadline": format_time(deadline)}
    solar_fit = float(np.sum(np.minimum(power * hz.hours_inside(release, deadline), X)))
    if solar_fit > 100 and rng.random() < 0.3:
        load["source"] = "solar"
        energy = round(solar_fit * rng.uniform(0.2, 0.7))
    else:
        energy = round(power * length_h * rng.uniform(0.15, 0.7))
    load["energy_wh"] = energy
    energy_min = energy
    if rng.random() < 0.4:
        energy_min = round(energy * rng.uniform(0.2, 1.0))
        load["energy_min_wh"] = energy_min
    if rng.random() < 0.5:
        load["value"] = str(rng.randint(100000, 500000))
    before_h = max(0, hz.start - release) / 3.6e6
    if before_h > 0 and load.get("source") != "solar" and rng.random() < 0.6:
        load["delivered_wh"] = round(rng.uniform(0, min(energy_min, power * before_h)))
    return load


def gen_assets(rng, hz, address, net, export, batteries_only=False):
    """An assets file's records for one Worker: header (perhaps with limits the net respects), then assets;
    with batteries_only, the header and one battery (the benchmark's hives)."""
    header = {"type": "assets", "worker": address}
    if batteries_only:
        return [header, gen_battery(rng, hz, "battery", max(export) > 0)]
    if rng.random() < 0.5:
        header["import_max_w"] = 100 * math.ceil(max(max(net), 0) / hz.dt_h * rng.uniform(1.3, 3) / 100 + 1)
        header["export_max_w"] = (100 * math.ceil(max(export) / hz.dt_h * rng.uniform(1.1, 2) / 100)
                                  + 1000 * rng.randint(0, 3))
    has_pv = max(export) > 0
    records = [header]
    kinds = (["battery"] * (rng.random() < 0.6) + ["battery"] * (rng.random() < 0.1)
             + ["deferrable"] * rng.randint(0, 2) + ["ev"] * (rng.random() < 0.35)
             + ["pv"] * (has_pv and rng.random() < 0.7) + ["pv"] * (has_pv and rng.random() < 0.1))
    for i, kind in enumerate(kinds or ["deferrable"]):
        name = f"{kind}-{i + 1}"
        if kind == "battery":
            records.append(gen_battery(rng, hz, name, has_pv))
        elif kind == "pv":
            records.append({"type": "pv", "name": name, "curtail_cost": str(rng.choice([0, 0, 10000, 50000]))})
        else:
            records.append(gen_load(rng, hz, name, kind, np.asarray(export)))
    return records


def feasible(workers, hive):
    return solve_hive(workers, hive)[0] == "optimal"


def gen_flexible(rng, hz, address, net, export, buy, sell, batteries_only=False):
    """Assets for a Worker, drawn until its own problem is feasible."""
    for _ in range(1000):
        records = gen_assets(rng, hz, address, net, export, batteries_only)
        if feasible([build_worker(hz, net, export, records, address)], Hive(buy, sell)):
            return records
    raise InputError(f"no feasible assets drawn for {address} in 1000 tries")


def write_ndjson(path, records):
    with open(path, "w") as fh:
        fh.writelines(json.dumps(r, separators=(",", ":")) + "\n" for r in records)


def cmd_gen(args):
    global STEP
    STEP = args.step
    rng = random.Random(args.seed)
    hz = Horizon(parse_time(START, "start"), STEP, args.slots)
    buy_int, sell_int = gen_tariff(rng, hz.T)
    buy, sell = [b / 1000 for b in buy_int], [s / 1000 for s in sell_int]
    addresses = []
    while len(addresses) < args.workers:
        address = eip55(rng.randbytes(20))
        addresses += [address] if address not in addresses else []
    forecasts, assets, workers = [], {}, []
    for k, address in enumerate(addresses):
        net, export = gen_profile(rng, hz.T)
        forecasts.append({"type": "forecast", "meter": address, "start": START, "step": STEP,
                          "horizon": hz.T * STEP, "model": "auto", "quantiles": [],
                          "series": {"net_wh": {"point": net}, "export_wh": {"point": export}}})
        records = [{"type": "assets"}]
        if args.batteries or rng.random() < args.flexible_share:
            records = assets[k] = gen_flexible(rng, hz, address, net, export, buy, sell, args.batteries)
        workers.append(build_worker(hz, net, export, records, address))
    opts = {}
    if args.limits:
        aggregate = sum(w.L for w in workers)
        opts["import_max_w"] = 100 * math.ceil(max(aggregate.max(), 0) / hz.dt_h * rng.uniform(1.1, 1.5) / 100 + 1)
        opts["export_max_w"] = 100 * math.ceil(max(-aggregate.min(), 0) / hz.dt_h * rng.uniform(1.1, 1.5) / 100 + 1)
        while not feasible(workers, Hive(buy, sell, opts["import_max_w"] * hz.dt_h, opts["export_max_w"] * hz.dt_h)):
            opts["import_max_w"] = 100 * math.ceil(opts["import_max_w"] * 1.25 / 100)
            opts["export_max_w"] = 100 * math.ceil(opts["export_max_w"] * 1.25 / 100)
    if args.peak:
        opts["peak_price_per_kw"] = rng.randint(500000, 3000000)
    os.makedirs(args.dir, exist_ok=True)
    write_ndjson(os.path.join(args.dir, "tariff.ndjson"),
                 [{"type": "tariff", "kind": "dynamic", "step": str(STEP)}]
                 + [{"type": "price", "start": format_time(hz.start + t * hz.step_ms), "buy": str(b), "sell": str(s)}
                    for t, (b, s) in enumerate(zip(buy_int, sell_int))])
    write_ndjson(os.path.join(args.dir, "forecasts.ndjson"), forecasts)
    for k, records in assets.items():
        write_ndjson(os.path.join(args.dir, f"assets-{k}.ndjson"), records)
    with open(os.path.join(args.dir, "hive.json"), "w") as fh:
        json.dump(opts, fh)
        fh.write("\n")


# ---------------------------------------------------------------- main

def run_command(ap, argv):
    """One command line; an error exits (SystemExit) with its message."""
    args = ap.parse_args(argv)
    try:
        args.run(args)
    except KeyError as e:
        sys.exit(f"hiveref.py: missing member {e}")
    except (InputError, ValueError, OSError) as e:
        sys.exit(f"hiveref.py: {e}")


def cmd_batch(ap):
    """The commands of stdin's lines in this process (see the usage)."""
    failed = False
    for number, line in enumerate(sys.stdin, 1):
        words = shlex.split(line)
        if not words:
            continue
        if len(words) < 2 or words[1] == "batch":
            print(f"hiveref.py: batch line {number}: want OUT COMMAND ARGS…", file=sys.stderr)
            failed = True
            continue
        try:
            with contextlib.ExitStack() as stack:
                if words[0] != "-":
                    stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(words[0], "w"))))
                run_command(ap, words[1:])
        except SystemExit as e:
            if e.code not in (None, 0):
                print(f"hiveref.py: batch line {number}: {e.code}", file=sys.stderr)
                failed = True
    sys.exit(1 if failed else 0)


def main():
    ap = argparse.ArgumentParser(prog="hiveref.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("local", help="solve Workers' local problems, one JSON per line")
    p.add_argument("file")
    p.set_defaults(run=cmd_local)
    p = sub.add_parser("gen", help="write a random hive instance")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--slots", type=int, required=True)
    p.add_argument("--step", type=int, default=900, choices=[900, 1800, 3600], help="seconds a slot")
    p.add_argument("--limits", action="store_true", help="import and export limits at the coupling point")
    p.add_argument("--peak", action="store_true", help="a peak price")
    p.add_argument("--flexible-share", type=float, default=0.8, help="the share of Workers with assets")
    p.add_argument("--batteries", action="store_true", help="every Worker with one battery and nothing else")
    p.set_defaults(run=cmd_gen)
    p = sub.add_parser("central", help="the hive's centralized optimum")
    p.add_argument("dir")
    p.add_argument("--check", metavar="BIDS", help="check the plans of these bid records")
    p.add_argument("--limit-tol", type=float, default=0.0, metavar="WH",
                   help="how far the aggregate may pass a coupling limit (the coordination's tolerance)")
    p.set_defaults(run=cmd_central)
    sub.add_parser("batch", help="the commands of stdin's lines, in this process")
    if sys.argv[1:2] == ["batch"]:
        cmd_batch(ap)
    run_command(ap, sys.argv[1:])


if __name__ == "__main__":
    main()
