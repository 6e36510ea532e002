#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the STL meshes used by the example bags in examples/scenes/.

Every mesh under examples/meshes/ is made here, from a few parametric profiles,
so that the parts can be re-made, checked and changed in one place. Units are
millimetres; each mesh is translated so that the centre of its bounding box is
the origin (a scene's "position" puts that centre). Every mesh is closed
(each edge shared by exactly two triangles, once in each direction), its
triangles wind counter-clockwise seen from outside, its stored facet normals
point outwards, and no triangle is degenerate. The script checks all of that
before writing and refuses to write a mesh that fails.

Local frames: length along x, width along y, thickness/height along z, so a
part lies flat on the belt with rotation [0, 0, 0].

Usage: python3 scripts/gen_meshes.py [OUTPUT_DIR]   (default: examples/meshes)
Python 3 standard library only. Output is deterministic (same bytes each run).
"""

import math
import os
import struct
import sys

# ---------------------------------------------------------------------------
# Vector helpers
# ---------------------------------------------------------------------------


def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def norm(a):
    return math.sqrt(dot(a, a))


def tri_normal(t):
    n = cross(sub(t[1], t[0]), sub(t[2], t[0]))
    ln = norm(n)
    return (n[0] / ln, n[1] / ln, n[2] / ln)


# ---------------------------------------------------------------------------
# 2-D polygon helpers and ear clipping (simple polygons, counter-clockwise)
# ---------------------------------------------------------------------------


def area2(poly):
    """Twice the signed area of a 2-D polygon (positive when counter-clockwise)."""
    s = 0.0
    for i in range(len(poly)):
        x0, y0 = poly[i]
        x1, y1 = poly[(i + 1) % len(poly)]
        s += x0 * y1 - x1 * y0
    return s


def ccw(poly):
    return poly if area2(poly) > 0 else list(reversed(poly))


def drop_collinear(poly, eps=1e-9):
    """Remove vertices that lie on the straight line through their neighbours."""
    out = list(poly)
    changed = True
    while changed and len(out) > 3:
        changed = False
        for i in range(len(out)):
            a, b, c = out[i - 1], out[i], out[(i + 1) % len(out)]
            cr = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
            if abs(cr) < eps:
                del out[i]
                changed = True
                break
    return out


def point_in_tri(p, a, b, c):
    def s(p1, p2, p3):
        return (p1[0] - p3[0]) * (p2[1] - p3[1]) - (p2[0] - p3[0]) * (p1[1] - p3[1])

    d1, d2, d3 = s(p, a, b), s(p, b, c), s(p, c, a)
    return d1 >= 0 and d2 >= 0 and d3 >= 0


def ear_clip(poly):
    """Triangulate a simple counter-clockwise polygon; returns index triples (CCW).

    Why ear clipping: the profiles here are small (< 200 vertices) and not convex
    (knife blades, a trigger guard), and the method needs nothing but the outline.
    """
    idx = list(range(len(poly)))
    tris = []
    guard = 0
    while len(idx) > 3:
        guard += 1
        if guard > 10000:
            raise RuntimeError("ear clipping failed: polygon not simple?")
        best = None
        for k in range(len(idx)):
            i0, i1, i2 = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = poly[i0], poly[i1], poly[i2]
            cr = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
            if cr <= 1e-9:
                continue  # reflex or flat: not an ear
            if any(point_in_tri(poly[j], a, b, c) for j in idx if j not in (i0, i1, i2)):
                continue
            # Prefer the ear with the best (largest) smallest angle: fewer slivers.
            la = math.hypot(a[0] - b[0], a[1] - b[1])
            lc = math.hypot(c[0] - b[0], c[1] - b[1])
            q = cr / (la * lc)
            if best is None or q > best[0]:
                best = (q, k)
        if best is None:
            raise RuntimeError("ear clipping found no ear")
        k = best[1]
        tris.append((idx[k - 1], idx[k], idx[(k + 1) % len(idx)]))
        del idx[k]
    tris.append((idx[0], idx[1], idx[2]))
    return tris


# ---------------------------------------------------------------------------
# Solid builders
# ---------------------------------------------------------------------------


def extrude(poly, zlo, zhi):
    """Extrude a 2-D outline (x, y) between z = zlo(x, y) and z = zhi(x, y).

    zlo/zhi are functions so that a blade can taper from spine to edge; they must
    satisfy zlo < zhi at every outline vertex. Caps carry only outline vertices,
    so the surface between is the linear interpolation over the ear triangles.
    """
    poly = ccw(drop_collinear(poly))
    n = len(poly)
    bot = [(x, y, zlo(x, y)) for x, y in poly]
    top = [(x, y, zhi(x, y)) for x, y in poly]
    tris = []
    for a, b, c in ear_clip(poly):
        tris.append((top[a], top[b], top[c]))
        tris.append((bot[a], bot[c], bot[b]))
    for i in range(n):
        j = (i + 1) % n
        tris.append((bot[i], bot[j], top[j]))
        tris.append((bot[i], top[j], top[i]))
    return tris


def loft(rings):
    """Close a tube through rings of equal point count with centroid-fan end caps.

    rings: list of rings, each a list of 3-D points, consecutive rings joined
    point k to point k. The result is oriented outwards afterwards by orient().
    """
    tris = []
    m = len(rings[0])
    for r0, r1 in zip(rings, rings[1:]):
        for k in range(m):
            k1 = (k + 1) % m
            tris.append((r0[k], r0[k1], r1[k1]))
            tris.append((r0[k], r1[k1], r1[k]))
    for ring, flip in ((rings[0], True), (rings[-1], False)):
        c = tuple(sum(p[i] for p in ring) / m for i in range(3))
        for k in range(m):
            k1 = (k + 1) % m
            tris.append((c, ring[k1], ring[k]) if flip else (c, ring[k], ring[k1]))
    return tris


def signed_volume(tris):
    return sum(dot(t[0], cross(t[1], t[2])) for t in tris) / 6.0


def orient(tris, outward=True):
    """Flip every triangle if the shell's signed volume has the wrong sign."""
    v = signed_volume(tris)
    if (v > 0) != outward:
        return [(t[0], t[2], t[1]) for t in tris]
    return tris


def box(sx, sy, sz):
    """A closed axis-aligned box centred on the origin (12 triangles)."""
    poly = [(-sx / 2, -sy / 2), (sx / 2, -sy / 2), (sx / 2, sy / 2), (-sx / 2, sy / 2)]
    return extrude(poly, lambda x, y: -sz / 2, lambda x, y: sz / 2)


def rounded_rect(cy, zb, w, h, r, n_corner, x):
    """Ring of points (in the plane x = const) tracing a rounded rectangle.

    Centre y = cy, bottom at z = zb, full width w, height h, corner radius r.
    """
    pts = []
    corners = [
        (cy + w / 2 - r, zb + r, -90.0),
        (cy + w / 2 - r, zb + h - r, 0.0),
        (cy - w / 2 + r, zb + h - r, 90.0),
        (cy - w / 2 + r, zb + r, 180.0),
    ]
    for ccy, ccz, a0 in corners:
        for i in range(n_corner):
            a = math.radians(a0 + 90.0 * i / (n_corner - 1))
            pts.append((x, ccy + r * math.cos(a), ccz + r * math.sin(a)))
    return pts


def circle_ring(x, r, n, cz=0.0):
    return [
        (x, r * math.cos(2 * math.pi * k / n), cz + r * math.sin(2 * math.pi * k / n))
        for k in range(n)
    ]


def translate(tris, d):
    return [tuple((p[0] + d[0], p[1] + d[1], p[2] + d[2]) for p in t) for t in tris]


def bbox(tris):
    pts = [p for t in tris for p in t]
    lo = tuple(min(p[i] for p in pts) for i in range(3))
    hi = tuple(max(p[i] for p in pts) for i in range(3))
    return lo, hi


def centre(tris):
    """Translate so the bounding-box centre is the origin; return (tris, old centre)."""
    lo, hi = bbox(tris)
    c = tuple((lo[i] + hi[i]) / 2 for i in range(3))
    return translate(tris, (-c[0], -c[1], -c[2])), c


# ---------------------------------------------------------------------------
# Checks and writers
# ---------------------------------------------------------------------------


def rounded(tris, nd=4):
    """Round coordinates so that shared vertices stay bit-identical in float32."""
    return [tuple(tuple(round(c, nd) + 0.0 for c in p) for p in t) for t in tris]


def check(name, tris):
    """Refuse meshes that are open, inconsistently wound, inside-out or degenerate."""
    directed = {}
    for t in tris:
        if tri_area(t) < 1e-6:
            raise RuntimeError("%s: degenerate triangle %r" % (name, t))
        for a, b in ((t[0], t[1]), (t[1], t[2]), (t[2], t[0])):
            key = (f32(a), f32(b))
            directed[key] = directed.get(key, 0) + 1
    for (a, b), cnt in directed.items():
        if cnt != 1 or directed.get((b, a), 0) != 1:
            raise RuntimeError("%s: edge %r-%r not shared by exactly two triangles" % (name, a, b))
    if signed_volume(tris) <= 0:
        raise RuntimeError("%s: inside-out (non-positive volume)" % name)


def tri_area(t):
    return 0.5 * norm(cross(sub(t[1], t[0]), sub(t[2], t[0])))


def f32(p):
    return tuple(struct.unpack("<3f", struct.pack("<3f", *p)))


def write_binary(path, name, tris):
    header = ("lucent example mesh: %s (mm, generated by scripts/gen_meshes.py)" % name).encode()
    header = header[:80].ljust(80, b" ")
    with open(path, "wb") as f:
        f.write(header)
        f.write(struct.pack("<I", len(tris)))
        for t in tris:
            f.write(struct.pack("<3f", *tri_normal(t)))
            for p in t:
                f.write(struct.pack("<3f", *p))
            f.write(struct.pack("<H", 0))


def write_ascii(path, name, tris):
    with open(path, "w", encoding="ascii", newline="\n") as f:
        f.write("solid %s\n" % name)
        for t in tris:
            f.write("  facet normal %.6e %.6e %.6e\n" % tri_normal(t))
            f.write("    outer loop\n")
            for p in t:
                f.write("      vertex %.6e %.6e %.6e\n" % p)
            f.write("    endloop\n  endfacet\n")
        f.write("endsolid %s\n" % name)


# ---------------------------------------------------------------------------
# The parts
# ---------------------------------------------------------------------------


def kitchen_knife_blade():
    """Chef's knife blade, 200 mm long, 45 mm at the heel, 2.4 mm spine to 0.3 mm edge.

    Outline in x (0 = heel, 200 = tip), y (0 = spine, negative = towards edge).
    """
    L, W = 200.0, 45.0
    top = [(0.0, 0.0), (L * 0.7, 0.0)]  # straight spine
    # spine drops to the tip along a gentle curve
    for i in range(1, 8):
        u = i / 8.0
        top.append((L * 0.7 + L * 0.3 * u, -W * 0.45 * u * u))
    tip = (L, -W * 0.5)
    edge = []
    # cutting edge: curved belly from tip back to a straight edge at the heel
    for i in range(1, 12):
        u = i / 12.0
        x = L - L * 0.45 * u
        edge.append((x, -W * 0.5 - W * 0.5 * math.sin(u * math.pi / 2)))
    edge.append((L * 0.5, -W))
    edge.append((0.0, -W))
    poly = top + [tip] + edge

    def half(x, y):
        frac = min(1.0, max(0.0, -y / W))  # 0 at spine, 1 at the edge
        tipfade = 1.0 - 0.6 * max(0.0, (x - 140.0) / 60.0)
        return (1.2 * (1.0 - frac) + 0.15 * frac) * tipfade + 0.05

    return extrude(poly, lambda x, y: -half(x, y), lambda x, y: half(x, y))


def kitchen_knife_handle():
    """Moulded handle, 120 x 26 mm outline, 20 mm thick, with a finger swell."""
    pts = []
    n = 24
    for i in range(n + 1):
        u = i / n
        x = -120.0 + 120.0 * u
        w = 11.0 + 2.0 * math.sin(u * math.pi) - 1.5 * math.sin(u * 2 * math.pi) ** 2
        pts.append((x, w))
    poly = [(x, y) for x, y in pts] + [(x, -y) for x, y in reversed(pts)]
    poly = drop_dupes(poly)

    def half(x, y):
        return 10.0 - 2.0 * (abs(y) / 13.0) ** 2

    return extrude(poly, lambda x, y: -half(x, y), lambda x, y: half(x, y))


def drop_dupes(poly):
    out = []
    for p in poly:
        if not out or (abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9):
            out.append(p)
    if abs(out[0][0] - out[-1][0]) < 1e-9 and abs(out[0][1] - out[-1][1]) < 1e-9:
        out.pop()
    return out


def folding_knife_blade():
    """Drop-point folding blade, 85 mm long, 25 mm wide, 3 mm spine, open."""
    L, W = 85.0, 25.0
    poly = [(0.0, 0.0), (50.0, 0.0)]
    for i in range(1, 8):
        u = i / 8.0
        poly.append((50.0 + 35.0 * u, -W * 0.55 * math.sin(u * math.pi / 2) ** 2))
    for i in range(1, 10):
        u = i / 10.0
        poly.append((L - 40.0 * u, -W * 0.55 - W * 0.45 * math.sin(u * math.pi / 2)))
    poly.append((0.0, -W))

    def half(x, y):
        frac = min(1.0, max(0.0, -y / W))
        return 1.5 * (1.0 - frac) + 0.2 * frac

    return extrude(poly, lambda x, y: -half(x, y), lambda x, y: half(x, y))


def folding_knife_handle():
    """Handle of a folding knife (aluminium frame with the blade slot), 110 x 28 x 13 mm."""
    pts = []
    n = 20
    for i in range(n + 1):
        u = i / n
        x = -110.0 + 110.0 * u
        w = 12.0 + 2.0 * math.sin(u * math.pi)
        pts.append((x, w))
    poly = drop_dupes([(x, y) for x, y in pts] + [(x, -y) for x, y in reversed(pts)])
    return extrude(poly, lambda x, y: -6.5, lambda x, y: 6.5)


# Gun-like assembly. Drawn in one side-view frame: x along the barrel (muzzle at
# x = 185), y up in the side view (slide from y = 0 to 32), thickness along z.
# The slide (box 185 x 32 x 28) and barrel (cylinder) are analytic objects in the
# scenes; the frame and grip are meshes below.


def gun_frame():
    """Lower frame with dust cover and trigger guard, 150 mm long, 22 mm thick.

    Side view: a bar under the slide (y -14..-0.5, x 30..180; 0.5 mm clear of the
    slide) and a trigger guard below it (x 50..100, down to y -42) whose finger
    opening (x 55..95) stays open to the front by a 1 mm slit under the bar, so
    the outline is one simple polygon.
    """
    poly = [
        (30.0, -0.5),
        (30.0, -14.0),
        (50.0, -14.0),
        (50.0, -42.0),
        (95.0, -42.0),
        (100.0, -37.0),
        (100.0, -15.0),
        (95.0, -15.0),
        (95.0, -37.0),
        (55.0, -37.0),
        (55.0, -14.0),
        (180.0, -14.0),
        (180.0, -0.5),
    ]
    return extrude(poly, lambda x, y: -11.0, lambda x, y: 11.0)


GRIP_WELL = [(-7.0, -4.0), (26.0, -4.0), (17.0, -115.0), (-17.0, -115.0)]


def gun_grip():
    """Raked grip, 30 mm thick, hollow: a 3 mm steel shell around the magazine well.

    Side view: under the slide behind the frame (0.5 mm clear of both), then down
    and back at about 17 degrees to y = -118. The well (GRIP_WELL, z -12..12) is
    at least 2.8 mm inside the outline everywhere.
    """
    poly = [
        (-10.0, -0.5),
        (29.5, -0.5),
        (29.5, -14.5),
        (49.5, -14.5),
        (49.5, -30.0),
        (20.0, -118.0),
        (-20.0, -118.0),
        (-16.0, -60.0),
    ]
    outer = extrude(poly, lambda x, y: -15.0, lambda x, y: 15.0)
    inner = extrude(GRIP_WELL, lambda x, y: -12.0, lambda x, y: 12.0)
    return outer + orient(inner, False)


def gun_magazine():
    """Loaded magazine filling the grip's well with 0.5 mm play all round."""
    poly = [(-6.5, -4.5), (25.5, -4.5), (16.6, -114.5), (-16.6, -114.5)]
    return extrude(poly, lambda x, y: -11.5, lambda x, y: 11.5)


def shoe_halfwidth(u):
    """Half width (mm) of a men's EU 43 sole outline at fraction u of its 290 mm length."""
    knots = [(0.0, 34.0), (0.2, 35.0), (0.42, 30.0), (0.7, 48.0), (0.88, 44.0), (1.0, 36.0)]
    for (u0, w0), (u1, w1) in zip(knots, knots[1:]):
        if u <= u1:
            t = (u - u0) / (u1 - u0)
            base = w0 + (w1 - w0) * (0.5 - 0.5 * math.cos(math.pi * t))
            break
    end = max(0.0, 1.0 - abs(2.0 * u - 1.0) ** 6)
    return base * math.sqrt(end)


SHOE_L = 290.0


def shoe_sole():
    """Rubber sole, 290 mm long, 96 mm at the ball, 22 mm thick (heel block)."""
    n = 60
    us = [0.5 - 0.5 * math.cos(math.pi * (i + 0.5) / n) for i in range(n)]
    upper = [(u * SHOE_L, shoe_halfwidth(u)) for u in us]
    poly = upper + [(x, -y) for x, y in reversed(upper)]
    return extrude(poly, lambda x, y: 0.0, lambda x, y: 22.0)


def shoe_upper():
    """Leather upper of a closed shoe: a 3 mm shell over the sole, open foot space inside.

    Sits on the sole (its bottom at z = 22 in the sole's frame). Lofted rounded
    rectangles, 4 mm inside the sole outline; height from 95 mm at the heel to
    45 mm at the toe. Hollow: an inner loft 3 mm inside, wound inwards.
    """
    t = 3.0
    n_sec = 20
    u0, u1 = 0.06, 0.96

    def ring(u, inset):
        hw = shoe_halfwidth(u) - 4.0 - inset
        h = 45.0 + 50.0 * (1.0 - u) ** 1.5 - 2 * inset
        r = min(hw, h / 2) * 0.8
        return rounded_rect(0.0, 22.0 + inset, 2 * hw, h, r, 6, u * SHOE_L)

    outer = [ring(u0 + (u1 - u0) * i / n_sec, 0.0) for i in range(n_sec + 1)]
    du = t / SHOE_L
    inner = [ring(u0 + du + (u1 - u0 - 2 * du) * i / n_sec, t) for i in range(n_sec + 1)]
    return orient(loft(outer), True) + orient(loft(inner), False)


def hair_dryer_body():
    """Hollow polycarbonate barrel of a hair dryer, 200 mm long, 80 mm diameter, 2.5 mm wall."""
    t = 2.5
    prof = [(0.0, 40.0), (20.0, 40.0), (120.0, 37.0), (170.0, 30.0), (200.0, 26.0)]
    n = 32
    outer = [circle_ring(x, r, n) for x, r in prof]
    inner_prof = [(t, 40.0 - t), (20.0, 40.0 - t), (120.0, 37.0 - t), (170.0, 30.0 - t),
                  (200.0 - t, 26.0 - t)]
    inner = [circle_ring(x, r, n) for x, r in inner_prof]
    return orient(loft(outer), True) + orient(loft(inner), False)


def cube(size):
    return box(size, size, size)


PARTS = [
    # file name, builder, format, description
    ("cube.stl", lambda: cube(50.0), "binary", "closed 50 mm cube (tests)"),
    ("cube_ascii.stl", lambda: cube(50.0), "ascii", "the same cube as ASCII STL"),
    ("kitchen_knife_blade.stl", kitchen_knife_blade, "binary", "chef's knife blade"),
    ("kitchen_knife_handle.stl", kitchen_knife_handle, "ascii", "chef's knife handle"),
    ("folding_knife_blade.stl", folding_knife_blade, "binary", "folding knife blade, open"),
    ("folding_knife_handle.stl", folding_knife_handle, "binary", "folding knife handle"),
    ("gun_frame.stl", gun_frame, "binary", "gun-like frame with trigger guard"),
    ("gun_grip.stl", gun_grip, "binary", "gun-like raked grip"),
    ("gun_magazine.stl", gun_magazine, "binary", "gun-like loaded magazine"),
    ("shoe_sole.stl", shoe_sole, "binary", "shoe sole"),
    ("shoe_upper.stl", shoe_upper, "binary", "hollow shoe upper"),
    ("hair_dryer_body.stl", hair_dryer_body, "binary", "hollow hair dryer barrel"),
]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    out = argv[1] if len(argv) > 1 else os.path.join(here, "..", "examples", "meshes")
    os.makedirs(out, exist_ok=True)
    for fname, build, fmt, desc in PARTS:
        tris, c = centre(build())
        tris = rounded(tris)
        check(fname, tris)
        lo, hi = bbox(tris)
        path = os.path.join(out, fname)
        if fmt == "ascii":
            write_ascii(path, os.path.splitext(fname)[0], tris)
        else:
            write_binary(path, desc, tris)
        print(
            "%-26s %5d triangles  size %6.1f x %6.1f x %6.1f mm  volume %8.2f cm3  "
            "(source centre %.2f %.2f %.2f)"
            % (fname, len(tris), hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2],
               signed_volume(tris) / 1000.0, c[0], c[1], c[2])
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
