#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""train_atr.py: trains lucent's learned ATR scoring models (docs/atr.md).

Reads candidate feature dumps written by `lucent eval CORPUS --features FILE`
(training corpora only), fits per class (explosive, weapon) an additive model
of boosted stumps on the features lc__atr_features computes (logistic loss,
L2-regularised leaf values, shrinkage), chooses the per-class operating
points on the training bags so that at most --fa of the clean bags alarm
(all classes together, dense keeping its rule) and at most --fa-corpus of
any one training corpus's, folds them into the bias so
that score 0.5 is the operating point, and writes src/atr/atr_model.c.
Reproducible: no randomness; the same dumps give the same file.

usage: /usr/bin/python3 scripts/train_atr.py -o src/atr/atr_model.c TRAIN.csv...
       [--check VALID.csv...]   (report bag-level figures on other dumps too)
       [--fit-only MORE.csv...] (fit on these too, but choose the operating
                                 point on TRAIN only: e.g. a corpus of
                                 near-empty bags, whose clean bags would
                                 make the false-alarm budget look larger)
Each dump must lie in its corpus folder (next to truth.json). The defaults
are the shipped model's settings (docs/atr.md; --fa-corpus 0.13, --grid 200
and --weapon-max 0.47 since the ninth pass, --fa 0.09 since the eleventh,
--weapon-floor 0.89 since the twelfth).
Needs numpy (/usr/bin/python3 on Debian 12 has it).
"""
import argparse
import csv
import math
import os
import sys
import textwrap

import numpy as np

CLASSES = ['explosive', 'weapon', 'dense']


def load(path):
    with open(path) as fh:
        rd = csv.reader(fh)
        head = next(rd)
        rows = list(rd)
    col = {h: i for i, h in enumerate(head)}
    fcols = [h for h in head if h.startswith('f_')]
    X = np.array([[float(r[col[h]]) for h in fcols] for r in rows], dtype=np.float64)
    X[~np.isfinite(X)] = -1
    meta = {
        'bag': np.array([path + ':' + r[col['bag']] for r in rows]),
        'clean': np.array([int(r[col['clean']]) for r in rows]),
        't_idx': np.array([int(r[col['t_idx']]) for r in rows]),
        't_class': np.array([r[col['t_class']] for r in rows]),
        't_kind': np.array([r[col['t_kind']] for r in rows]),
        't_diff': np.array([r[col['t_difficulty']] for r in rows]),
        't_mass': np.array([float(r[col['t_mass_g']]) for r in rows]),
        't_iou': np.array([float(r[col['t_iou']]) for r in rows]),
        'gate': {'explosive': np.array([int(r[col['gate_e']]) for r in rows]),
                 'weapon': np.array([int(r[col['gate_w']]) for r in rows])},
        # the hand-set rules' scores (the features rule_expl, rule_weap; dense
        # has no model, its score is its rule)
        'rule': {c: np.array([float(r[col[k]]) for r in rows])
                 for c, k in (('explosive', 'f_rule_expl'), ('weapon', 'f_rule_weap'),
                              ('dense', 's_dense'))},
    }
    return X, [h[2:] for h in fcols], meta


def concat(parts):
    X = np.vstack([p[0] for p in parts])
    names = parts[0][1]
    meta = {}
    for k in parts[0][2]:
        if isinstance(parts[0][2][k], dict):
            meta[k] = {c: np.concatenate([p[2][k][c] for p in parts]) for c in parts[0][2][k]}
        else:
            meta[k] = np.concatenate([p[2][k] for p in parts])
    return X, names, meta


def bins_of(X, nb=32):
    """Candidate split points per feature: halfway between a quantile of the
    training values and the next larger value (so that the library's exact
    features and the dump's rounded ones fall on the same side)."""
    edges = []
    for j in range(X.shape[1]):
        u = np.unique(X[:, j])
        q = np.unique(np.quantile(X[:, j], np.linspace(0, 1, nb + 1)[1:-1]))
        k = np.searchsorted(u, q, side='right')
        ok = k < len(u)
        edges.append(np.unique((q[ok] + u[k[ok]]) / 2))
    return edges


def rule_logit(r):
    r = np.clip(r, 1e-4, 1 - 1e-4)
    return np.log(r / (1 - r))


def boost(X, y, w, edges, rounds, lr, lam, base=None):
    """Additive stumps, Newton steps on the logistic loss. With base (the
    rule's logit per row), the model starts from bias + k x base, (bias, k)
    fitted first by logistic regression, so that the stumps only correct the
    rule where the training data consistently say so."""
    n, d = X.shape
    B = np.zeros((n, d), dtype=np.int32)
    for j in range(d):
        B[:, j] = np.searchsorted(edges[j], X[:, j], side='right')
    p0 = np.clip(np.sum(w * y) / np.sum(w), 1e-4, 1 - 1e-4)
    bias = math.log(p0 / (1 - p0))
    k = 0.0
    if base is not None:
        for _ in range(25):  # Newton on (bias, k)
            F = bias + k * base
            p = 1 / (1 + np.exp(-F))
            g = w * (y - p)
            h = w * p * (1 - p)
            J = np.array([[h.sum(), (h * base).sum()], [(h * base).sum(), (h * base * base).sum()]])
            step = np.linalg.solve(J + 1e-6 * np.eye(2), np.array([g.sum(), (g * base).sum()]))
            bias += step[0]
            k += step[1]
    F = bias + k * (base if base is not None else 0)
    F = np.broadcast_to(F, (n,)).astype(np.float64).copy()
    stumps = []
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-F))
        g = w * (y - p)
        h = w * p * (1 - p)
        G, H = g.sum(), h.sum()
        best = None
        for j in range(d):
            nb = len(edges[j]) + 1
            if nb < 2:
                continue
            gl = np.cumsum(np.bincount(B[:, j], weights=g, minlength=nb))[:-1]
            hl = np.cumsum(np.bincount(B[:, j], weights=h, minlength=nb))[:-1]
            gr, hr = G - gl, H - hl
            gain = gl * gl / (hl + lam) + gr * gr / (hr + lam)
            k = int(np.argmax(gain))
            if best is None or gain[k] > best[0]:
                best = (gain[k], j, k, gl[k] / (hl[k] + lam), gr[k] / (hr[k] + lam))
        _, j, k, vl, vr = best
        at = float(edges[j][k])
        vl, vr = lr * vl, lr * vr
        stumps.append((j, at, vl, vr))
        F += np.where(X[:, j] < at, vl, vr)
    return bias, stumps, k


def logit(X, bias, stumps, k=0.0, base=None):
    F = np.full(X.shape[0], bias) + (k * base if base is not None else 0)
    for j, at, lo, hi in stumps:
        F += np.where(X[:, j] < np.float32(at), lo, hi)
    return F


class Bags:
    """Per bag and class, the best score (clean bags), and per threat the best
    score of a candidate of its class overlapping it with IoU >= 0.1: the
    figures `lucent eval` counts (without its suppression of overlapping
    alarms, which changes them little)."""

    def __init__(self, meta, threats):
        names, self.bag = np.unique(meta['bag'], return_inverse=True)
        self.nb = len(names)
        self.clean = np.zeros(self.nb, bool)
        self.clean[self.bag[meta['clean'] == 1]] = True
        # a dump made with `lucent eval --limit N` holds the first N bags:
        # count the threats of the bags up to its last one (a bag in range
        # without a single candidate still counts, as a miss)
        last = {}
        for nm in names:
            dump, bag = nm.rsplit(':', 1)
            last[dump] = max(last.get(dump, ''), bag)
        # each bag's corpus (its dump), for the spread of the false alarms
        self.dumps, self.corpus = np.unique([nm.rsplit(':', 1)[0] for nm in names],
                                            return_inverse=True)
        self.keys = sorted(k for k in threats
                           if k[0].rsplit(':', 1)[1] <= last.get(k[0].rsplit(':', 1)[0], ''))
        kix = {k: i for i, k in enumerate(self.keys)}
        self.tinfo = [threats[k] for k in self.keys]
        self.row_t = np.array([kix.get((b, t), -1) if t >= 0 and iou >= 0.1 else -1
                               for b, t, iou in zip(meta['bag'], meta['t_idx'], meta['t_iou'])])
        self.meta = meta

    def best(self, scores):
        self.bag_max = {}
        for c in CLASSES:
            m = np.zeros(self.nb)
            np.maximum.at(m, self.bag, scores[c])
            self.bag_max[c] = m
        self.t_best = np.zeros(len(self.keys))
        ok = self.row_t >= 0
        cls = np.array([self.tinfo[i][0] if i >= 0 else '' for i in self.row_t])
        for c in CLASSES:
            sel = ok & (cls == c)
            np.maximum.at(self.t_best, self.row_t[sel], scores[c][sel])
        return self

    def summarise(self, thr):
        al = np.zeros(self.nb, bool)
        for c in CLASSES:
            al |= self.bag_max[c] >= thr[c]
        fa = al[self.clean].mean() if self.clean.any() else 0
        nd = len(self.dumps)
        fa_corpus = np.bincount(self.corpus[self.clean], al[self.clean], nd) / \
            np.maximum(np.bincount(self.corpus[self.clean], minlength=nd), 1)
        tally = {}
        for i, (c, kind, diff, mass) in enumerate(self.tinfo):
            hit = self.t_best[i] >= thr[c]
            for k in (c, c + ':' + kind, c + ':' + diff) + \
                    ((('explosive>=300', 'explosive>=300:' + kind) if c == 'explosive' and mass >= 300 else ())):
                n, h = tally.get(k, (0, 0))
                tally[k] = (n + 1, h + hit)
        return {'fa': fa, 'fa_corpus': fa_corpus, 'tally': tally}


def subset(meta, keep):
    out = {}
    for k, v in meta.items():
        out[k] = {c: a[keep] for c, a in v.items()} if isinstance(v, dict) else v[keep]
    return out


def threats_of(paths):
    import json
    import os
    th = {}
    for p in paths:
        corp = os.path.dirname(os.path.abspath(p))
        tr = os.path.join(corp, 'truth.json')
        if not os.path.exists(tr):
            continue
        for b in json.load(open(tr))['bags']:
            for i, t in enumerate(b['threats']):
                th[(p + ':' + b['name'], i)] = (t['class'], t['kind'], t['difficulty'], t['mass_g'])
    return th


def class_scores(X, meta, models):
    s = {}
    for c in CLASSES:
        if c in models:
            bias, stumps, k = models[c]
            z = logit(X, bias, stumps, k, rule_logit(meta['rule'][c]))
            s[c] = np.where(meta['gate'][c] == 1, 1 / (1 + np.exp(-z)), 0.0)
        else:
            s[c] = meta['rule'][c]
    return s


def report(tag, meta, scores, thr, threats, out=sys.stdout):
    r = Bags(meta, threats).best(scores).summarise(thr)
    t = r['tally']

    def f(k):
        n, h = t.get(k, (0, 0))
        return f'{h}/{n} ({100 * h / n:.1f} %)' if n else '-'
    print(f'{tag}: false alarms {100 * r["fa"]:.1f} %  explosives>=300 {f("explosive>=300")}  '
          f'weapons {f("weapon")}  dense {f("dense")}', file=out)
    print('   ' + '  '.join(f'{k} {f(k)}' for k in sorted(t) if ':' in k), file=out)
    return r


def fit(X, meta, c, a):
    """The model of class c; returns (bias, stumps), the training mask and the positives."""
    m = meta['gate'][c] == 1
    pos = (meta['t_class'] == c) & (meta['t_iou'] >= a.pos_iou)
    # candidates overlapping a threat of the class only partly (a merged
    # region, a part of it) are neither: left out of the training
    m &= pos | (meta['t_class'] != c) | (meta['t_iou'] < 0.05)
    y = pos[m].astype(float)
    # every negative weighs 1; the positives together weigh pos_weight x the
    # negatives, every threat the same, however many of its candidates
    # (levels of the component tree) overlap it
    w = np.ones(int(m.sum()))
    npos = y.sum()
    tk = np.char.add(meta['bag'][m][y == 1], np.char.mod('%d', meta['t_idx'][m][y == 1]))
    _, inv, cnt = np.unique(tk, return_inverse=True, return_counts=True)
    w[y == 1] = (len(y) - npos) / max(len(cnt), 1) * a.pos_weight / cnt[inv]
    Xm = X[m].copy()
    # features that describe the bag rather than the object (how much lies
    # over it) are left out: a lone object in an empty tunnel must not look
    # unlike every training object
    names = a.names if hasattr(a, 'names') else []
    for j, nm in enumerate(names):
        if nm in a.exclude.split(','):
            Xm[:, j] = 0
    edges = bins_of(Xm)
    base = rule_logit(meta['rule'][c][m]) if a.from_rule else None
    model = boost(Xm, y, w, edges, a.rounds, a.lr, a.lam, base)
    # hard negatives: a bag alarms on its best candidate, so the negatives
    # that matter are each bag's top few; weight them up and fit again
    for _ in range(getattr(a, 'hard_rounds', 0)):
        z = logit(Xm, model[0], model[1], model[2], base)
        bag = meta['bag'][m]
        order = np.lexsort((-z, bag))
        rank = np.zeros(len(z), int)
        first = np.r_[True, bag[order][1:] != bag[order][:-1]]
        idx = np.arange(len(z))
        start = np.maximum.accumulate(np.where(first, idx, 0))
        rank[order] = idx - start
        hard = (y == 0) & (rank < a.hard_top)
        w2 = w.copy()
        w2[hard] *= a.hard_weight
        model = boost(Xm, y, w2, edges, a.rounds, a.lr, a.lam, base)
    return model, m, npos


def corpora(paths):
    # the corpus folders of the dumps, as the model's header names them
    return ' '.join(os.path.basename(os.path.dirname(os.path.abspath(p))) for p in paths)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('train', nargs='+')
    ap.add_argument('-o', required=True)
    ap.add_argument('--check', nargs='*', default=[])
    ap.add_argument('--fit-only', nargs='*', default=[])
    ap.add_argument('--rounds', type=int, default=150)
    ap.add_argument('--lr', type=float, default=0.1)
    ap.add_argument('--lam', type=float, default=20.0)
    ap.add_argument('--pos-iou', type=float, default=0.5)
    ap.add_argument('--fa', type=float, default=0.09)
    ap.add_argument('--fa-corpus', type=float, default=0.13)
    ap.add_argument('--grid', type=int, default=200)
    # a bare 2 mm steel blade lying alone must alarm: its weapon rule scores
    # 0.485 (test_blade_and_dense), so the weapon threshold stays below
    ap.add_argument('--weapon-max', type=float, default=0.47)
    # weapons first (eleventh pass): the weapon target (85 %) is in reach and
    # the explosive one is not, so the point must detect at least this share
    # of the training weapons (the target plus the points held-out corpora
    # have read below the training ones: 2 in the tenth pass, 4 in the
    # eleventh, hence 0.89 since the twelfth), and only then the most
    # explosives; 0 gives the ninth pass's objective, the sum of the two rates
    ap.add_argument('--weapon-floor', type=float, default=0.89)
    ap.add_argument('--pos-weight', type=float, default=0.5)
    ap.add_argument('--exclude', default='bg_h,p_bg_h,level,rim_dz,p_rim_dz')
    ap.add_argument('--from-rule', type=int, default=1)
    ap.add_argument('--hard-rounds', type=int, default=1)
    ap.add_argument('--hard-top', type=int, default=3)
    ap.add_argument('--hard-weight', type=float, default=10.0)
    ap.add_argument('--classes', default='')
    a = ap.parse_args()
    for p in a.train + a.fit_only + a.check:
        if not os.path.isfile(p):
            sys.exit(f'train_atr.py: {p}: no such feature dump (lucent eval CORPUS --features FILE)')
    X, names, meta = concat([load(p) for p in a.train + a.fit_only])
    a.names = names
    threats = threats_of(a.train)
    models = {}
    for c in [c for c in a.classes.split(',') if c]:
        models[c], m, npos = fit(X, meta, c, a)
        print(f'{c}: {int(m.sum())} candidates, {int(npos)} positive', file=sys.stderr)
    # the operating point is chosen on the TRAIN dumps only
    op = np.zeros(len(meta['bag']), bool)
    for p in a.train:
        op |= np.char.startswith(meta['bag'], p + ':')
    X, meta = X[op], subset(meta, op)
    scores = class_scores(X, meta, models)
    # operating point: per-class thresholds detecting at least --weapon-floor
    # of the weapons and then the most explosives >= 300 g (if no point
    # reaches the floor: the most weapons, then explosives; with floor 0: the
    # sum of the two rates) with at most --fa of the clean bags alarmed, and
    # at most --fa-corpus of any one corpus's (a procurement test runs one
    # corpus of 500 bags, whose false alarms scatter round the pooled rate by
    # 2-3 points); dense keeps its rule at 0.5; tried at the scores where a
    # clean bag's best candidate sits
    bags = Bags(meta, threats).best(scores)

    def grid(c):
        # just above the best score of clean bags from the median up (a
        # model's scores can crowd near 1: no fixed step or cap)
        v = np.unique(bags.bag_max[c][bags.clean])
        v = v[v > 0.01]
        q = np.unique(np.quantile(v, np.linspace(0.5, 1, a.grid), method='nearest')) if len(v) else \
            np.array([0.5])
        return np.nextafter(np.minimum(q, 1 - 1e-12), 2)
    best = None
    tws = [tw for tw in grid('weapon') if tw <= a.weapon_max]
    for te in grid('explosive'):
        for tw in tws:
            thr = {'explosive': te, 'weapon': tw, 'dense': 0.5}
            r = bags.summarise(thr)
            if r['fa'] > a.fa or r['fa_corpus'].max() > a.fa_corpus:
                continue
            t = r['tally']
            ne, he = t.get('explosive>=300', (1, 0))
            nw, hw = t.get('weapon', (1, 0))
            if a.weapon_floor > 0:
                val = (min(hw / nw, a.weapon_floor), he / ne, hw / nw)
            else:
                val = (he / ne + hw / nw,)
            if best is None or val > best[0]:
                best = (val, te, tw)
    if best is None:
        sys.exit('train_atr.py: no operating point keeps the false alarms within '
                 '--fa and --fa-corpus')
    _, te, tw = best
    thr = {'explosive': te, 'weapon': tw, 'dense': 0.5}
    report('train', meta, scores, thr, threats, sys.stderr)
    # the spread over the corpora: one fresh corpus of 500 bags is what a
    # procurement test runs, and its false alarms scatter round the pooled rate
    for p, fa in zip(bags.dumps, bags.summarise(thr)['fa_corpus']):
        print(f'  {corpora([p])}: false alarms {100 * fa:.1f} %', file=sys.stderr)
    # fold the thresholds in: a model's bias moves by the threshold's logit,
    # a rule's score is raised to the power that maps the threshold to 0.5
    power = {c: 1.0 for c in CLASSES}
    for c, t in (('explosive', te), ('weapon', tw)):
        if c in models:
            b, s, k = models[c]
            models[c] = (b - math.log(t / (1 - t)), s, k)
        else:
            power[c] = math.log(0.5) / math.log(t)
    # spread a model's scores: multiply its logit (bias, rule weight, stumps)
    # so that the class's 2 % clean-bag false-alarm point scores 0.8; the
    # operating point (logit 0) and the ranking stay, but one threshold for
    # all classes (the ROC of lucent eval) no longer jumps over a model's
    # scores crowded near 0 and 1
    for c in models:
        b, st, k = models[c]
        z = np.where(meta['gate'][c] == 1, logit(X, b, st, k, rule_logit(meta['rule'][c])), -50)
        mx = np.full(bags.nb, -50.0)
        np.maximum.at(mx, bags.bag, z)
        q = np.quantile(mx[bags.clean], 0.98)
        f = math.log(4) / q if q > 0.1 else 1.0
        models[c] = (b * f, [(j, at, lo * f, hi * f) for j, at, lo, hi in st], k * f)
        print(f'{c}: logit scaled by {f:.4f}', file=sys.stderr)
    print('thresholds: explosive %.4f weapon %.4f; rule powers %s' % (te, tw, power), file=sys.stderr)
    for p in a.check:
        Xc, _, mc = load(p)
        sc = class_scores(Xc, mc, models)
        for c in CLASSES:
            if c not in models:
                sc[c] = sc[c] ** power[c]
        report(p, mc, sc, {'explosive': 0.5, 'weapon': 0.5, 'dense': 0.5}, threats_of([p]),
               sys.stderr)
    origin = '\n'.join(textwrap.wrap(
        'scripts/train_atr.py from the dumps of ' + corpora(a.train) +
        (' (fitted also on ' + corpora(a.fit_only) + ')' if a.fit_only else ''),
        74, initial_indent=' * ', subsequent_indent=' * '))
    with open(a.o, 'w') as fh:
        fh.write('/* SPDX-License-Identifier: Apache-2.0 */\n/*\n'
                 ' * atr_model.c: the learned scoring models, generated by\n' + origin +
                 (f'\n * (classes {a.classes}, rounds {a.rounds}, shrinkage {a.lr}, L2 {a.lam},\n'
                 f' * positives at IoU >= {a.pos_iou}, positive weight {a.pos_weight}, from the rule\n'
                 f' * {a.from_rule}, hard-negative rounds {a.hard_rounds} (top {a.hard_top} x {a.hard_weight}),\n'
                 f' * features left out: {a.exclude};\n'
                  if models else '\n * (no learned model: every class keeps its hand-set rule;\n') +
                 f' * operating point: at most {100 * a.fa:.0f} % of the training clean bags alarm,\n'
                 f' * and at most {100 * a.fa_corpus:.0f} % of any one corpus\'s; weapon rule\n'
                 f' * threshold at most {a.weapon_max}, which a bare 2 mm blade passes;\n'
                 + (f' * at least {100 * a.weapon_floor:.0f} % of the weapons detected, then the most\n'
                    ' * explosives >= 300 g).\n' if a.weapon_floor > 0 else
                    ' * the most explosives >= 300 g plus weapons, the sum of the rates).\n') +
                 ' * Classes without a model keep their rule, raised to the power that maps\n'
                 ' * the operating point to 0.5. Do not edit: rerun the script (docs/atr.md).\n */\n'
                 '#include "atr/atr_int.h"\n\n')
        for c in CLASSES:
            if c not in models:
                continue
            b, s, k = models[c]
            fh.write(f'static const lc__atr_stump {c}_stumps[{len(s)}] = {{\n')
            for j, at, lo, hi in s:
                fh.write(f'    {{{j}, {np.float32(at)!r}f, {lo:.6f}f, {hi:.6f}f}}, /* {names[j]} */\n'
                         .replace('np.float32(', '').replace(')f', 'f'))
            fh.write('};\n\n')
        fh.write('const lc__atr_model lc__atr_models[LC_ATR_CLASSES] = {\n')
        for c in CLASSES:
            if c in models:
                fh.write(f'    {{{models[c][0]:.6f}, {len(models[c][1])}, {c}_stumps, 1.0, '
                         f'{models[c][2]:.6f}}},\n')
            else:
                fh.write(f'    {{0, 0, NULL, {power[c]:.6f}, 0}},\n')
        fh.write('};\n')


if __name__ == '__main__':
    main()
