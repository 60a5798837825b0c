"""How lesson 04's BOSTON_RECIPE was searched: each candidate is scored on development rows, a tenth of the
training rows of each of the lesson's 20 random splits (never that split's test rows). See README.md here."""
import torch, numpy as np, time, math, sys
from backprop_course.data import load_boston
from backprop_course.network import rmse, standardize, make_network
from backprop_course.mlp import mse
torch.set_num_threads(1)
df = load_boston()
x_all = torch.tensor(df.drop(columns=df.columns[-1]).values, dtype=torch.float64)
y_all = torch.tensor(df[[df.columns[-1]]].values, dtype=torch.float64)
def random_splits(n_rows, n_splits=20, test_frac=0.1, seed=0):
    g = torch.Generator().manual_seed(seed)
    n_test = round(test_frac * n_rows)
    return [(p[n_test:], p[:n_test]) for p in (torch.randperm(n_rows, generator=g) for _ in range(n_splits))]
SPLITS = random_splits(len(x_all))
def dev_sets(k):
    "split k's training rows -> (fit rows, dev rows): dev is 10% of the training rows, never the split's test rows"
    tr, te = SPLITS[k]
    p = torch.randperm(len(tr), generator=torch.Generator().manual_seed(10_000 + k))
    n = round(0.1 * len(tr))
    return tr[p[n:]], tr[p[:n]]
def dev_eval(fitter, ks=range(20), **kw):
    out=[]; t0=time.perf_counter()
    for k in ks:
        f, d = dev_sets(k)
        pred = fitter(x_all[f], y_all[f], seed=k, **kw)
        out.append(rmse(pred(x_all[d]), y_all[d]))
    out=np.array(out); return out.mean(), out.std(ddof=1)/np.sqrt(len(out)), (time.perf_counter()-t0)/len(out)
def make_fit(hidden=(64,), act="relu", lr=0.03, opt="sgd", bs=32, epochs=300, patience=30, wd=1e-2, p_drop=0.,
             members=2, valid_frac=0.2, skew=None, reps=1, kfold=0, ylog=False, xlog=False, refit=False, beta=0.9, lr_decay=None):
    LOGCOLS = [0, 1, 2, 7, 12]   # CRIM ZN INDUS DIS LSTAT (skewed)
    cols = {}
    def tx(x):
        if not xlog: return x
        c = cols.get('c', LOGCOLS)
        x = x.clone(); x[:, c] = torch.log1p(x[:, c]); return x
    def train(net, xt, yt, xv, yv, seed, n_epochs, use_es):
        gen = torch.Generator().manual_seed(seed); N = len(xt); b = N if bs is None else bs
        state = [ [torch.zeros_like(p), torch.zeros_like(p)] for p in net.parameters()]
        best, bestp, waited, bestep, t = math.inf, None, 0, n_epochs, 0
        for ep in range(1, n_epochs+1):
            cur_lr = lr if lr_decay is None else lr * (lr_decay ** (ep / n_epochs))
            order = torch.randperm(N, generator=gen)
            for i in range(0, N, b):
                idx = order[i:i+b]
                net.loss_and_grads(xt[idx], yt[idx], wd); t += 1
                for p, g, (m, v) in zip(net.parameters(), net.grads(), state):
                    if opt == "sgd": p -= cur_lr * g
                    elif opt == "mom": m.mul_(beta).add_(g); p -= cur_lr * m
                    else:
                        m.mul_(0.9).add_(g, alpha=0.1); v.mul_(0.999).addcmul_(g, g, value=0.001)
                        p -= cur_lr * (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-8)
            if use_es:
                vl = float(mse(net(xv), yv))
                if not math.isfinite(vl): raise RuntimeError("diverged")
                if vl < best: best, bestp, waited, bestep = vl, [p.clone() for p in net.parameters()], 0, ep
                elif (waited := waited + 1) >= patience: break
        if use_es and bestp is not None:
            for p, q in zip(net.parameters(), bestp): p.copy_(q)
        return bestep
    def fit(x_train, y_train, seed=0):
        if skew is not None:
            z = (x_train - x_train.mean(0)) / x_train.std(0); sk = (z ** 3).mean(0)
            cols['c'] = [j for j in range(x_train.shape[1]) if sk[j] > skew and (x_train[:, j] >= 0).all()]
        X, Y = tx(x_train), (torch.log(y_train) if ylog else y_train)
        n = len(X); members_ = []
        if kfold:
            carves = []
            for r in range(reps):
                perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100 + r)); folds = perm.chunk(kfold)
                carves += [(torch.cat([f for j, f in enumerate(folds) if j != i]), folds[i]) for i in range(kfold)]
        else:
            carves = []
            for m in range(members):
                perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1000 + m)); nv = round(valid_frac * n)
                carves.append((perm[nv:], perm[:nv]))
        for m, (tr, va) in enumerate(carves):
            xt, xv, (xm, xs) = standardize(X[tr], X[va]); yt, yv, (ym, ys) = standardize(Y[tr], Y[va])
            net = make_network([X.shape[1], *hidden, 1], act=act, seed=seed*1000+m, p_drop=p_drop)
            ep = train(net, xt, yt, xv, yv, seed*1000+m, epochs, True)
            if refit:
                xt, (xm, xs) = standardize(X)[0], standardize(X)[1]; yt, (ym, ys) = standardize(Y)[0], standardize(Y)[1]
                net = make_network([X.shape[1], *hidden, 1], act=act, seed=seed*1000+m, p_drop=p_drop)
                train(net, xt, yt, None, None, seed*1000+m, ep, False)
            members_.append((net, xm, xs, ym, ys))
        def predict(x):
            x = tx(x)
            out = torch.stack([net((x - xm) / xs) * ys + ym for net, xm, xs, ym, ys in members_]).mean(0)
            return torch.exp(out) if ylog else out
        return predict
    return fit

if __name__ == "__main__":
    # usage: python tools/boston_search/search.py '{"opt": "adam", "lr": 0.003, ...}' ...  (one JSON recipe per argument)
    import json
    for a in sys.argv[1:]:
        c = json.loads(a)
        m, se, t = dev_eval(make_fit(**c)); print(f"{m:.3f} ± {se:.3f}  {t:.2f}s  {c}", flush=True)
