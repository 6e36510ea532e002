#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check the example bags in examples/scenes/ and the meshes in examples/meshes/.

An independent reading of the scene format of DESIGN.md (contract): every scene
is valid JSON with only the contract's fields, names materials that exist in
data/materials.tsv (or gives an inline composition and density), refers to
meshes that exist and are closed, consistently wound, outward-facing and centred
on the origin, keeps every object inside the 60 x 40 cm tunnel on or above the
belt, and has no two objects interpenetrating (except contents inside a hollow
container's cavity). Explosive charges must weigh 150-1000 g and the scene name
must state each charge's mass. Across all scenes: at least 12 bags, and each
threat class appears. The committed meshes must be exactly what
scripts/gen_meshes.py makes.

Usage:
  examples_check.py                      check everything (exit 1 on any problem)
  examples_check.py --labels SCENE FILE  check that labels FILE lists every object
                                         id of SCENE with its threat class
Needs numpy. Environment: LC_SOURCE_DIR (default: two folders up).
"""

import glob
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np

SRC = os.environ.get("LC_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..")
)
SCENES = os.path.join(SRC, "examples", "scenes")
MESHES = os.path.join(SRC, "examples", "meshes")

# Used only while data/materials.tsv is not in the tree yet.
FALLBACK_MATERIALS = """tnt rdx hmx petn nitroglycerin tatp ammonium_nitrate anfo c4 semtex
black_powder hydrogen_peroxide water sucrose honey cheese chocolate polyethylene
polypropylene pmma nylon pet pvc ptfe pom cellulose cotton_clothing leather glass salt
aluminium titanium steel stainless_steel copper brass lead tungsten lithium_ion_cell""".split()

TUNNEL_Y = 300.0  # half width, mm
TUNNEL_Z = 400.0  # height, mm
MAX_X = 1000.0  # longest bag considered
THREATS = ("explosive", "weapon", "dense")
EPS = 0.05  # mm: touching is allowed, penetration deeper than this is not

problems = []


def fail(where, msg):
    problems.append("%s: %s" % (where, msg))


# ---------------------------------------------------------------------------
# Materials
# ---------------------------------------------------------------------------


def load_materials():
    path = os.path.join(SRC, "data", "materials.tsv")
    if not os.path.exists(path):
        print("note: %s not present; using the built-in list of names" % path)
        return {n: None for n in FALLBACK_MATERIALS}
    mats = {}
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            row = dict(zip(header, cols))
            mats[row["name"]] = {
                "category": row.get("category"),
                "density": float(row["density"]),
                "composition": row["composition"],
            }
    return mats


FORMULA = re.compile(r"^(?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?|\((?:[A-Z][a-z]?(?:\d+(?:\.\d+)?)?)+\)\d*)+$")


def check_composition(where, comp):
    if not isinstance(comp, str) or not comp.strip():
        fail(where, "composition must be a non-empty string")
        return
    if comp.startswith("mix:"):
        total = 0.0
        for term in comp[4:].split("+"):
            parts = term.split()
            if len(parts) != 2:
                fail(where, "mix term %r is not 'fraction formula'" % term.strip())
                return
            try:
                frac = float(parts[0])
            except ValueError:
                fail(where, "mix fraction %r is not a number" % parts[0])
                return
            if not 0 < frac <= 1:
                fail(where, "mix fraction %r out of (0, 1]" % parts[0])
            if not FORMULA.match(parts[1]):
                fail(where, "formula %r does not parse" % parts[1])
            total += frac
        if abs(total - 1.0) > 0.005:
            fail(where, "mix fractions sum to %.4f, not 1" % total)
    elif not FORMULA.match(comp):
        fail(where, "formula %r does not parse" % comp)


# ---------------------------------------------------------------------------
# STL reading and mesh checks
# ---------------------------------------------------------------------------


def read_stl(path):
    """Return (triangles as float64 array (n, 3, 3), stored normals (n, 3), format)."""
    data = open(path, "rb").read()
    if len(data) >= 84:
        n = struct.unpack_from("<I", data, 80)[0]
        if len(data) == 84 + 50 * n:
            rec = np.frombuffer(data[84:], dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]))
            return rec["v"].astype(np.float64), rec["n"].astype(np.float64), "binary"
    text = data.decode("ascii")
    if not text.lstrip().startswith("solid"):
        raise ValueError("neither binary STL (size mismatch) nor ASCII STL")
    tris, norms = [], []
    for m in re.finditer(r"facet\s+normal\s+(\S+)\s+(\S+)\s+(\S+)\s+outer\s+loop\s+"
                         r"vertex\s+(\S+)\s+(\S+)\s+(\S+)\s+vertex\s+(\S+)\s+(\S+)\s+(\S+)\s+"
                         r"vertex\s+(\S+)\s+(\S+)\s+(\S+)\s+endloop\s+endfacet", text):
        v = [float(x) for x in m.groups()]
        norms.append(v[:3])
        tris.append([v[3:6], v[6:9], v[9:12]])
    if text.count("facet normal") != len(tris) or not tris:
        raise ValueError("ASCII STL facets do not all parse")
    if not text.rstrip().split("\n")[-1].startswith("endsolid"):
        raise ValueError("ASCII STL lacks endsolid")
    return np.array(tris), np.array(norms), "ascii"


def check_mesh(path):
    """Check one mesh file; return (triangles, format) or None if it cannot be read."""
    where = os.path.relpath(path, SRC)
    try:
        tris, normals, fmt = read_stl(path)
    except (ValueError, UnicodeDecodeError) as e:
        fail(where, str(e))
        return None
    e1 = tris[:, 1] - tris[:, 0]
    e2 = tris[:, 2] - tris[:, 0]
    cr = np.cross(e1, e2)
    area = 0.5 * np.linalg.norm(cr, axis=1)
    if np.any(area < 1e-6):
        fail(where, "%d degenerate triangles" % int(np.sum(area < 1e-6)))
    unit = cr / np.maximum(2 * area, 1e-30)[:, None]
    agree = np.sum(unit * normals, axis=1)
    if np.any(agree < 0.99):
        fail(where, "%d stored normals disagree with the winding" % int(np.sum(agree < 0.99)))
    directed = {}
    for t in tris:
        vs = [tuple(p) for p in t]
        for a, b in ((vs[0], vs[1]), (vs[1], vs[2]), (vs[2], vs[0])):
            directed[(a, b)] = directed.get((a, b), 0) + 1
    bad = sum(1 for (a, b), c in directed.items() if c != 1 or directed.get((b, a)) != 1)
    if bad:
        fail(where, "not watertight: %d edges not shared by exactly two triangles "
             "(once in each direction)" % bad)
    vol = np.sum(np.einsum("ij,ij->i", tris[:, 0], np.cross(tris[:, 1], tris[:, 2]))) / 6.0
    if vol <= 0:
        fail(where, "inside-out or empty (volume %.3f mm3)" % vol)
    lo, hi = tris.reshape(-1, 3).min(axis=0), tris.reshape(-1, 3).max(axis=0)
    c = (lo + hi) / 2
    if np.max(np.abs(c)) > 0.01:
        fail(where, "bounding box centre %s is not the origin" % np.round(c, 3))
    return tris, fmt, vol


# ---------------------------------------------------------------------------
# Object geometry in the belt frame
# ---------------------------------------------------------------------------


def rotation(deg):
    """Euler degrees about x, then y, then z (fixed axes): R = Rz Ry Rx."""
    ax, ay, az = (math.radians(a) for a in deg)
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def grid(a, b, step):
    n = max(2, int(math.ceil(abs(b - a) / step)) + 1)
    return np.linspace(a, b, n)


def box_surface(h, step):
    """Sample points on the surface of an axis-aligned box with half extents h."""
    pts = []
    for axis in range(3):
        u, v = [i for i in range(3) if i != axis]
        gu, gv = np.meshgrid(grid(-h[u], h[u], step), grid(-h[v], h[v], step), indexing="ij")
        for s in (-1, 1):
            p = np.zeros((gu.size, 3))
            p[:, u], p[:, v], p[:, axis] = gu.ravel(), gv.ravel(), s * h[axis]
            pts.append(p)
    return np.vstack(pts)


def cyl_surface(r, hh, step):
    n = max(12, int(math.ceil(2 * math.pi * r / step)))
    ang = np.linspace(0, 2 * math.pi, n, endpoint=False)
    zs = grid(-hh, hh, step)
    a, z = np.meshgrid(ang, zs, indexing="ij")
    side = np.stack([r * np.cos(a).ravel(), r * np.sin(a).ravel(), z.ravel()], axis=1)
    caps = []
    for rr in grid(0, r, step):
        m = max(1, int(math.ceil(2 * math.pi * rr / step)))
        t = np.linspace(0, 2 * math.pi, m, endpoint=False)
        for s in (-1, 1):
            caps.append(np.stack([rr * np.cos(t), rr * np.sin(t), np.full(m, s * hh)], axis=1))
    return np.vstack([side] + caps)


def ellipsoid_surface(radii, step):
    rmax = max(radii)
    n = max(12, int(math.ceil(math.pi * rmax / step)))
    th = np.linspace(0, math.pi, n)
    ph = np.linspace(0, 2 * math.pi, 2 * n, endpoint=False)
    t, p = np.meshgrid(th, ph, indexing="ij")
    u = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)], axis=-1).reshape(-1, 3)
    return u * np.array(radii)


def mesh_surface(tris, step):
    pts = [tris.reshape(-1, 3)]
    for t in tris:
        m = int(math.ceil(max(np.linalg.norm(t[1] - t[0]), np.linalg.norm(t[2] - t[0]),
                              np.linalg.norm(t[2] - t[1])) / step))
        m = max(m, 2)
        ij = [(i, j) for i in range(m + 1) for j in range(m + 1 - i)]
        b = np.array(ij, dtype=float) / m
        pts.append(t[0] + b[:, :1] * (t[1] - t[0]) + b[:, 1:2] * (t[2] - t[0]))
    return np.vstack(pts)


def winding(tris, pts):
    """Generalised winding number of a closed mesh at points (Van Oosterom-Strackee)."""
    out = np.zeros(len(pts))
    t0, t1, t2 = tris[:, 0, :], tris[:, 1, :], tris[:, 2, :]
    for k in range(0, len(pts), 512):
        p = pts[k:k + 512, None, :]
        a, b, c = t0[None] - p, t1[None] - p, t2[None] - p
        ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
        bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
        cx, cy, cz = c[..., 0], c[..., 1], c[..., 2]
        la = np.sqrt(ax * ax + ay * ay + az * az)
        lb = np.sqrt(bx * bx + by * by + bz * bz)
        lc = np.sqrt(cx * cx + cy * cy + cz * cz)
        num = ax * (by * cz - bz * cy) + ay * (bz * cx - bx * cz) + az * (bx * cy - by * cx)
        den = (la * lb * lc + (ax * bx + ay * by + az * bz) * lc
               + (bx * cx + by * cy + bz * cz) * la + (cx * ax + cy * ay + cz * az) * lb)
        out[k:k + 512] = np.sum(np.arctan2(num, den), axis=1) / (2 * math.pi)
    return out


class Obj:
    """One scene object: its solid, cavity, surface samples and bounds in the belt frame."""

    def __init__(self, o, scene_dir, meshes):
        self.id = o["id"]
        self.shape = o["shape"]
        self.pos = np.array(o["position"], dtype=float)
        self.R = rotation(o.get("rotation", [0, 0, 0]))
        self.wall = float(o.get("wall", 0) or 0)
        if self.shape == "box":
            self.h = np.array(o["size"], dtype=float) / 2
            dims = 2 * self.h
        elif self.shape == "cylinder":
            self.r, self.hh = float(o["radius"]), float(o["height"]) / 2
            dims = [2 * self.r, 2 * self.hh]
        elif self.shape == "sphere":
            self.radii = np.array([o["radius"]] * 3, dtype=float)
            dims = 2 * self.radii
        elif self.shape == "ellipsoid":
            self.radii = np.array(o["radii"], dtype=float)
            dims = 2 * self.radii
        else:
            tris, _, vol = meshes[os.path.normpath(os.path.join(scene_dir, o["file"]))]
            s = float(o.get("scale", 1.0))
            self.tris = tris * s
            self.mesh_vol = vol * s ** 3
            lo, hi = self.tris.reshape(-1, 3).min(axis=0), self.tris.reshape(-1, 3).max(axis=0)
            dims = hi - lo
        small = float(min(dims))
        self.step = min(5.0, max(0.5, small / 3.0), max(dims) / 20.0)
        self.local = self._surface()
        self.world = self.local @ self.R.T + self.pos
        self.lo, self.hi = self.world.min(axis=0), self.world.max(axis=0)

    def volume_mm3(self):
        if self.shape == "box":
            v = np.prod(2 * self.h)
            if self.wall:
                v -= np.prod(np.maximum(2 * self.h - 2 * self.wall, 0))
            return v
        if self.shape == "cylinder":
            v = math.pi * self.r ** 2 * 2 * self.hh
            if self.wall:
                v -= math.pi * (self.r - self.wall) ** 2 * (2 * self.hh - 2 * self.wall)
            return v
        if self.shape in ("sphere", "ellipsoid"):
            return 4.0 / 3.0 * math.pi * np.prod(self.radii)
        return self.mesh_vol

    def _surface(self):
        st = self.step
        if self.shape == "box":
            pts = [box_surface(self.h, st)]
            if self.wall:
                pts.append(box_surface(self.h - self.wall, st))
            return np.vstack(pts)
        if self.shape == "cylinder":
            pts = [cyl_surface(self.r, self.hh, st)]
            if self.wall:
                pts.append(cyl_surface(self.r - self.wall, self.hh - self.wall, st))
            return np.vstack(pts)
        if self.shape in ("sphere", "ellipsoid"):
            return ellipsoid_surface(self.radii, st)
        return mesh_surface(self.tris, st)

    def to_local(self, pts):
        return (pts - self.pos) @ self.R

    def in_cavity(self, pts):
        """True where world points lie in the hollow cavity (touching its faces allowed)."""
        q = self.to_local(pts)
        if not self.wall:
            return np.zeros(len(pts), dtype=bool)
        if self.shape == "box":
            return np.all(np.abs(q) <= self.h - self.wall + EPS, axis=1)
        rr = np.hypot(q[:, 0], q[:, 1])
        return (rr <= self.r - self.wall + EPS) & (np.abs(q[:, 2]) <= self.hh - self.wall + EPS)

    def deep_inside(self, pts):
        """True where world points lie inside the solid material by more than EPS."""
        q = self.to_local(pts)
        if self.shape == "box":
            inside = np.all(np.abs(q) < self.h - EPS, axis=1)
            if self.wall:
                inside &= ~np.all(np.abs(q) < self.h - self.wall + EPS, axis=1)
            return inside
        if self.shape == "cylinder":
            rr = np.hypot(q[:, 0], q[:, 1])
            inside = (rr < self.r - EPS) & (np.abs(q[:, 2]) < self.hh - EPS)
            if self.wall:
                inside &= ~((rr < self.r - self.wall + EPS)
                            & (np.abs(q[:, 2]) < self.hh - self.wall + EPS))
            return inside
        if self.shape in ("sphere", "ellipsoid"):
            k = 1.0 - EPS / float(min(self.radii))
            return np.sum((q / self.radii) ** 2, axis=1) < k * k
        lo, hi = self.tris.reshape(-1, 3).min(axis=0), self.tris.reshape(-1, 3).max(axis=0)
        cand = np.all((q > lo) & (q < hi), axis=1)
        inside = np.zeros(len(pts), dtype=bool)
        if np.any(cand):
            inside[cand] = winding(self.tris, q[cand]) > 0.5
        return inside


def overlaps(a, b):
    """True if objects a and b interpenetrate (contents in a hollow cavity are fine)."""
    lo, hi = np.maximum(a.lo, b.lo), np.minimum(a.hi, b.hi)
    if np.any(hi - lo <= EPS):
        return False
    if a.wall and np.all(a.in_cavity(b.world)):
        return False
    if b.wall and np.all(b.in_cavity(a.world)):
        return False
    for p, q in ((a, b), (b, a)):
        sel = np.all((p.world >= lo - EPS) & (p.world <= hi + EPS), axis=1)
        if np.any(sel) and np.any(q.deep_inside(p.world[sel])):
            return True
    return False


# ---------------------------------------------------------------------------
# Scene checks
# ---------------------------------------------------------------------------

OBJ_FIELDS = {"id", "shape", "size", "wall", "position", "rotation", "material", "threat",
              "file", "scale", "radius", "height", "radii"}
SHAPE_FIELDS = {
    "box": {"size"},
    "cylinder": {"radius", "height"},
    "sphere": {"radius"},
    "ellipsoid": {"radii"},
    "mesh": {"file"},
}


def is_vec3(v):
    return (isinstance(v, list) and len(v) == 3
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
            and all(math.isfinite(x) for x in v))


def is_pos(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0


def check_object(where, o, scene_dir, materials, meshes):
    """Validate one object's fields; return True if its geometry can be built."""
    ok = True
    if not isinstance(o, dict):
        fail(where, "object is not a JSON object")
        return False
    for k in o:
        if k not in OBJ_FIELDS:
            fail(where, "unknown field %r" % k)
    if not isinstance(o.get("id"), str) or not o["id"]:
        fail(where, "id missing or not a string")
        ok = False
    shape = o.get("shape")
    if shape not in SHAPE_FIELDS:
        fail(where, "shape %r is not one of %s" % (shape, sorted(SHAPE_FIELDS)))
        return False
    for k in SHAPE_FIELDS[shape]:
        if k not in o:
            fail(where, "%s needs %r" % (shape, k))
            ok = False
    for shp, fields in SHAPE_FIELDS.items():
        for k in fields - SHAPE_FIELDS[shape]:
            if k in o and not (k == "radius" and shape in ("cylinder", "sphere")):
                fail(where, "field %r does not belong to a %s" % (k, shape))
    if not is_vec3(o.get("position")):
        fail(where, "position must be 3 numbers")
        ok = False
    if "rotation" in o and not is_vec3(o["rotation"]):
        fail(where, "rotation must be 3 numbers")
        ok = False
    if shape == "box" and "size" in o and not (is_vec3(o["size"]) and all(is_pos(x) for x in o["size"])):
        fail(where, "size must be 3 positive numbers")
        ok = False
    if shape == "ellipsoid" and "radii" in o and not (
            is_vec3(o["radii"]) and all(is_pos(x) for x in o["radii"])):
        fail(where, "radii must be 3 positive numbers")
        ok = False
    for k in ("radius", "height", "scale"):
        if k in o and not is_pos(o[k]):
            fail(where, "%s must be a positive number" % k)
            ok = False
    if "wall" in o:
        if shape not in ("box", "cylinder"):
            fail(where, "wall only applies to box and cylinder")
        elif not is_pos(o["wall"]):
            fail(where, "wall must be a positive number")
            ok = False
        elif ok:
            dims = o["size"] if shape == "box" else [2 * o["radius"], o["height"]]
            if 2 * o["wall"] >= min(dims):
                fail(where, "wall %g leaves no cavity" % o["wall"])
                ok = False
    if "threat" in o and o["threat"] not in THREATS:
        fail(where, "threat %r is not one of %s" % (o["threat"], THREATS))
    m = o.get("material")
    if isinstance(m, str):
        if m not in materials:
            fail(where, "material %r is not in data/materials.tsv" % m)
    elif isinstance(m, dict):
        if set(m) != {"composition", "density"}:
            fail(where, "inline material needs exactly composition and density")
        else:
            check_composition(where + ".material.composition", m["composition"])
            if not is_pos(m["density"]) or m["density"] > 25:
                fail(where, "material.density %r is not a plausible g/cm3" % m["density"])
                ok = False
    else:
        fail(where, "material missing")
        ok = False
    if shape == "mesh" and isinstance(o.get("file"), str):
        path = os.path.normpath(os.path.join(scene_dir, o["file"]))
        if not os.path.exists(path):
            fail(where, "mesh file %s does not exist" % o["file"])
            ok = False
        elif path not in meshes:
            r = check_mesh(path)
            if r is None:
                ok = False
            else:
                meshes[path] = r
    return ok


def density_of(o, materials):
    m = o["material"]
    if isinstance(m, dict):
        return float(m["density"])
    row = materials.get(m)
    return row["density"] if row else None


def check_scene(path, materials, meshes):
    where = os.path.relpath(path, SRC)
    try:
        with open(path, encoding="utf-8") as f:
            scene = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        fail(where, "not valid JSON: %s" % e)
        return None
    if not isinstance(scene, dict):
        fail(where, "top level is not an object")
        return None
    for k in scene:
        if k not in ("lucent_scene", "name", "objects"):
            fail(where, "unknown top-level field %r" % k)
    if scene.get("lucent_scene") != 1:
        fail(where, "lucent_scene must be 1")
    if not isinstance(scene.get("name"), str) or not scene["name"].strip():
        fail(where, "name missing")
    objs = scene.get("objects")
    if not isinstance(objs, list) or not objs:
        fail(where, "objects must be a non-empty list")
        return None
    ids = [o.get("id") for o in objs if isinstance(o, dict)]
    dup = sorted({i for i in ids if ids.count(i) > 1 and isinstance(i, str)})
    if dup:
        fail(where, "duplicate ids %s" % dup)
    built = []
    scene_dir = os.path.dirname(path)
    for i, o in enumerate(objs):
        w = "%s: objects[%d] (%s)" % (where, i, o.get("id") if isinstance(o, dict) else "?")
        if check_object(w, o, scene_dir, materials, meshes):
            built.append((w, o, Obj(o, scene_dir, meshes)))
    if len(built) != len(objs):
        return scene
    zmin = min(b.lo[2] for _, _, b in built)
    for w, o, b in built:
        if b.lo[2] < -EPS or b.hi[2] > TUNNEL_Z + EPS:
            fail(w, "z extent %.1f..%.1f leaves the tunnel (0..%g)" % (b.lo[2], b.hi[2], TUNNEL_Z))
        if b.lo[1] < -TUNNEL_Y - EPS or b.hi[1] > TUNNEL_Y + EPS:
            fail(w, "y extent %.1f..%.1f leaves the tunnel (+-%g)" % (b.lo[1], b.hi[1], TUNNEL_Y))
        if b.lo[0] < -EPS or b.hi[0] > MAX_X:
            fail(w, "x extent %.1f..%.1f outside 0..%g" % (b.lo[0], b.hi[0], MAX_X))
    if zmin > 0.5:
        fail(where, "nothing rests on the belt (lowest point z = %.2f mm)" % zmin)
    for i in range(len(built)):
        for j in range(i + 1, len(built)):
            if overlaps(built[i][2], built[j][2]):
                fail(where, "objects %r and %r interpenetrate" % (built[i][1]["id"], built[j][1]["id"]))
    # Explosive charges: 150-1000 g, and the name states the mass.
    stated = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)\s*g\b", scene.get("name", ""))]
    for w, o, b in built:
        if o.get("threat") != "explosive":
            continue
        rho = density_of(o, materials)
        if rho is None:
            continue
        mass = rho * b.volume_mm3() / 1000.0
        if not 150.0 <= mass <= 1000.0:
            fail(w, "explosive mass %.0f g outside 150-1000 g" % mass)
        if not any(abs(s - mass) <= max(2.0, 0.02 * mass) for s in stated):
            fail(w, "scene name does not state this charge's mass (%.0f g)" % mass)
    return scene


def check_generator():
    """The committed meshes must be byte-identical to what gen_meshes.py makes."""
    gen = os.path.join(SRC, "scripts", "gen_meshes.py")
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([sys.executable, gen, tmp], capture_output=True, text=True)
        if r.returncode != 0:
            fail("scripts/gen_meshes.py", "failed: %s" % r.stderr.strip()[-500:])
            return
        made = sorted(os.listdir(tmp))
        have = sorted(os.path.basename(p) for p in glob.glob(os.path.join(MESHES, "*.stl")))
        if made != have:
            fail("examples/meshes", "files %s differ from generated %s" % (have, made))
        for name in made:
            p = os.path.join(MESHES, name)
            if os.path.exists(p) and open(p, "rb").read() != open(os.path.join(tmp, name), "rb").read():
                fail("examples/meshes/" + name, "differs from scripts/gen_meshes.py output")


def check_labels(scene_path, labels_path):
    scene = json.load(open(scene_path, encoding="utf-8"))
    labels = json.load(open(labels_path, encoding="utf-8"))
    want = {o["id"]: o.get("threat") for o in scene["objects"]}
    got = {}
    for o in labels.get("objects", []):
        got[o.get("id")] = o.get("threat")
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing:
        fail(labels_path, "ids missing: %s" % missing)
    if extra:
        fail(labels_path, "ids not in the scene: %s" % extra)
    def cls(t):
        return None if t in (None, "", "none") else t

    for i in set(want) & set(got):
        if cls(want[i]) != cls(got[i]):
            fail(labels_path, "%s: threat %r, scene says %r" % (i, got[i], want[i]))


def self_test():
    """The overlap detector must see known overlaps and accept known clear layouts."""
    cube = os.path.join(MESHES, "cube.stl")
    meshes = {os.path.normpath(cube): check_mesh(cube)}

    def mk(**o):
        o.setdefault("id", "o")
        return Obj(o, MESHES, meshes)

    shell = mk(shape="box", size=[400, 300, 200], wall=3, position=[0, 0, 0])
    cases = [
        ("boxes 1 mm into each other", True,
         mk(shape="box", size=[100, 100, 100], position=[0, 0, 0]),
         mk(shape="box", size=[100, 100, 100], position=[99, 0, 0])),
        ("boxes touching face to face", False,
         mk(shape="box", size=[100, 100, 100], position=[0, 0, 0]),
         mk(shape="box", size=[100, 100, 100], position=[100, 0, 0])),
        ("box resting in a hollow shell", False, shell,
         mk(shape="box", size=[100, 100, 50], position=[0, 0, -72])),
        ("box poking 1 mm into a 3 mm shell wall", True, shell,
         mk(shape="box", size=[100, 100, 50], position=[0, 0, -73])),
        ("thin sheet crossing a shell wall", True, shell,
         mk(shape="box", size=[100, 50, 2], position=[200, 0, 0])),
        ("box whose corner is rotated into another", True,
         mk(shape="box", size=[100, 100, 20], position=[0, 0, 0], rotation=[0, 0, 45]),
         mk(shape="box", size=[100, 100, 20], position=[120, 0, 0])),
        ("rotated box clear of another", False,
         mk(shape="box", size=[100, 100, 20], position=[0, 0, 0], rotation=[0, 0, 45]),
         mk(shape="box", size=[100, 100, 20], position=[122, 0, 0])),
        ("cylinder along x into a box", True,
         mk(shape="cylinder", radius=10, height=100, position=[0, 0, 0], rotation=[0, 90, 0]),
         mk(shape="box", size=[20, 20, 20], position=[58, 0, 0])),
        ("mesh cube into a sphere", True,
         mk(shape="mesh", file="cube.stl", position=[0, 0, 0]),
         mk(shape="sphere", radius=20, position=[44, 0, 0])),
        ("mesh cube clear of a sphere", False,
         mk(shape="mesh", file="cube.stl", position=[0, 0, 0]),
         mk(shape="sphere", radius=20, position=[46, 0, 0])),
        ("liquid inside a hollow cylinder", False,
         mk(shape="cylinder", radius=30, height=200, wall=1, position=[0, 0, 0]),
         mk(shape="cylinder", radius=29, height=198, position=[0, 0, 0])),
        ("liquid too long for its bottle", True,
         mk(shape="cylinder", radius=30, height=200, wall=1, position=[0, 0, 0]),
         mk(shape="cylinder", radius=29, height=199, position=[0, 0, 0])),
    ]
    for what, expect, a, b in cases:
        if overlaps(a, b) != expect:
            fail("self-test", "%s: overlap detector says %s" % (what, not expect))

    # The mesh checks must reject an open, an inside-out and a mis-wound cube.
    tris, normals, _ = read_stl(cube)
    broken = {
        "open": (tris[1:], normals[1:]),
        "inside-out": (tris[:, ::-1, :], -normals),
        "one flipped": (np.concatenate([tris[:1, ::-1, :], tris[1:]]),
                        np.concatenate([-normals[:1], normals[1:]])),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for what, (t, n) in broken.items():
            path = os.path.join(tmp, "broken.stl")
            with open(path, "wb") as f:
                f.write(b" " * 80 + struct.pack("<I", len(t)))
                for tri, nn in zip(t, n):
                    f.write(struct.pack("<12fH", *nn, *tri.ravel(), 0))
            before = len(problems)
            check_mesh(path)
            if len(problems) == before:
                fail("self-test", "mesh check accepted a %s cube" % what)
            del problems[before:]


def main(argv):
    if len(argv) == 4 and argv[1] == "--labels":
        check_labels(argv[2], argv[3])
    elif len(argv) == 1:
        self_test()
        materials = load_materials()
        meshes = {}
        for p in sorted(glob.glob(os.path.join(MESHES, "*.stl"))):
            r = check_mesh(p)
            if r is not None:
                meshes[os.path.normpath(p)] = r
        fmts = {r[1] for r in meshes.values()}
        if fmts != {"binary", "ascii"}:
            fail("examples/meshes", "need both binary and ASCII STL, have %s" % sorted(fmts))
        check_generator()
        paths = sorted(glob.glob(os.path.join(SCENES, "*.json")))
        if len(paths) < 12:
            fail("examples/scenes", "%d scenes, need at least 12" % len(paths))
        seen = set()
        nobj = 0
        for p in paths:
            s = check_scene(p, materials, meshes)
            if s:
                nobj += len(s.get("objects", []))
                seen |= {o.get("threat") for o in s["objects"] if isinstance(o, dict)}
        for t in THREATS:
            if t not in seen:
                fail("examples/scenes", "no scene has a %r threat" % t)
        print("checked %d scenes (%d objects), %d meshes" % (len(paths), nobj, len(meshes)))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
