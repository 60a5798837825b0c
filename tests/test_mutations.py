"""Mutation test: break each exported hand-written gradient the ways people break them (a sign flip, a dropped
factor, a mean turned into a sum, a lost transpose, a lost 1/N) and check that the course's own gradient check
(`backprop_course.chain.compare_grads` against autograd) catches every mutant. A check that lets one through cannot
be trusted to catch the learner's mistake either."""
import ast, inspect, textwrap

import pytest, torch

from backprop_course import chain, mlp, network, neuron


# ------------------------------------------------------------------ mutants
class _Mutator(ast.NodeTransformer):
    "Apply mutation number `target` (counting every mutation site in the function body in a fixed order)."
    def __init__(self, target): self.target, self.count, self.what = target, -1, None
    def _site(self, what):
        self.count += 1
        if self.count == self.target: self.what = what; return True
        return False
    def visit_Return(self, node):
        self.generic_visit(node)
        if node.value is None: return node
        def flip(holder, i, e, label):
            if isinstance(e, ast.Tuple):                    # a tuple of gradients inside the returned tuple
                for j, ej in enumerate(e.elts): flip(e.elts, j, ej, f'{label}[{j}]')
            elif self._site(f'sign flip of returned {label}'): holder[i] = ast.UnaryOp(op=ast.USub(), operand=e)
        if isinstance(node.value, ast.Tuple):
            for i, e in enumerate(node.value.elts): flip(node.value.elts, i, e, f'value {i}')
        else:
            box = [node.value]; flip(box, 0, node.value, 'value'); node.value = box[0]
        return node
    def visit_Compare(self, node):
        self.generic_visit(node)
        swap = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}
        if len(node.ops) == 1 and type(node.ops[0]) in swap and self._site(f'kink moved: {ast.unparse(node)}'):
            node.ops = [swap[type(node.ops[0])]()]
        return node
    def visit_AugAssign(self, node):
        self.generic_visit(node)
        swap = {ast.Sub: ast.Add, ast.Add: ast.Sub}
        if type(node.op) in swap and self._site(f'sign slip in {ast.unparse(node)}'): node.op = swap[type(node.op)]()
        return node
    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == 'sum' and self._site(f'lost sum over examples: {ast.unparse(node)}'):
            return node.func.value
        names = [a for a in node.args if isinstance(a, ast.Name)]
        fname = ast.unparse(node.func)
        if fname.endswith('_grad') and len(names) >= 2 and self._site(f'arguments swapped in {ast.unparse(node)}'):
            i, j = node.args.index(names[0]), node.args.index(names[1])
            node.args[i], node.args[j] = node.args[j], node.args[i]
        return node
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult):
            if self._site(f'dropped factor {ast.unparse(node.right)}'): return node.left
            if self._site(f'dropped factor {ast.unparse(node.left)}'): return node.right
        if isinstance(node.op, ast.Div) and self._site(f'dropped division by {ast.unparse(node.right)}'): return node.left
        if isinstance(node.op, ast.Sub) and self._site(f'swapped {ast.unparse(node)}'):
            return ast.BinOp(left=node.right, op=ast.Sub(), right=node.left)
        return node
    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr in ('T', 'mT') and self._site(f'lost transpose of {ast.unparse(node.value)}'): return node.value
        if node.attr == 'mean' and self._site('mean turned into sum'): return ast.Attribute(value=node.value, attr='sum', ctx=node.ctx)
        return node


def mutants(fn):
    "Every single-site mutant of `fn`: a list of (description, mutated function)."
    src = textwrap.dedent(inspect.getsource(fn))
    out, k = [], 0
    while True:
        tree = ast.parse(src)
        fdef = tree.body[0]
        fdef.decorator_list = []
        fdef.body = [s for s in fdef.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))] or fdef.body
        m = _Mutator(k)
        for stmt in fdef.body: m.visit(stmt)
        if m.what is None: return out
        ns = dict(fn.__globals__)
        exec(compile(ast.fix_missing_locations(tree), f'<mutant {k} of {fn.__qualname__}>', 'exec'), ns)
        out.append((m.what, ns[fdef.name]))
        k += 1


def caught(run_check) -> bool:
    "True when the course's check rejects the mutant (an AssertionError) or the mutant fails outright."
    try: run_check()
    except Exception: return True
    return False


# ------------------------------------------------------------------ the course's own check, on each gradient
G = lambda seed: torch.Generator().manual_seed(seed)
f64 = dict(dtype=torch.float64)

def agree(name, manual, reference):
    "The course's gradient check: compare a hand-written gradient with autograd's."
    chain.compare_grads(name, manual, reference, verbose=False)

def autograd(f, *tensors):
    "Gradients of the scalar f(*tensors) with respect to each tensor, by autograd."
    ts = [t.detach().clone().requires_grad_() for t in tensors]
    f(*ts).backward()
    return [t.grad for t in ts]

def check_neuron():
    g = G(0)
    x, y = torch.rand(7, generator=g, **f64) * 3 - 1, (torch.rand(7, generator=g) > .5).double()
    w, b = torch.tensor(1.3, **f64), torch.tensor(-.4, **f64)
    dw, db = neuron.neuron_grads(x, y, w, b)
    rw, rb = autograd(lambda w, b: ((torch.sigmoid(w * x + b) - y)**2).mean(), w, b)
    agree('dL_dw', dw, rw); agree('dL_db', db, rb)

def check_gd_step():
    "Lesson 01's gradient-descent step against torch.optim.SGD's step on the same gradients."
    w, b, dw, db, lr = (torch.tensor(v, **f64) for v in (1.3, -.4, .27, -.61, .7))
    p = torch.stack([w, b]).requires_grad_()
    p.grad = torch.stack([dw, db]); torch.optim.SGD([p], lr=float(lr)).step()
    nw, nb = neuron.gd_step(w, b, dw, db, float(lr))
    agree('w', nw, p[0].detach()); agree('b', nb, p[1].detach())

def check_lin_grad():
    g = G(1)
    X, W, b, dZ = (torch.randn(5, 3, generator=g, **f64), torch.randn(3, 4, generator=g, **f64),
                   torch.randn(4, generator=g, **f64), torch.randn(5, 4, generator=g, **f64))
    dX, dW, db = mlp.lin_grad(X, W, dZ)
    rX, rW, rb = autograd(lambda X, W, b: ((X @ W + b) * dZ).sum(), X, W, b)
    agree('dL_dX', dX, rX); agree('dL_dW', dW, rW); agree('dL_db', db, rb)

def check_relu_grad():
    g = G(2)
    Z = torch.randn(6, 4, generator=g, **f64); Z[0, :2] = 0.       # exact zeros: the kink
    dA = torch.randn(6, 4, generator=g, **f64)
    agree('dL_dZ', mlp.relu_grad(Z, dA), autograd(lambda Z: (torch.relu(Z) * dA).sum(), Z)[0])

def check_mse_grad():
    g = G(3)
    Yhat, Y = torch.randn(5, 2, generator=g, **f64), torch.randn(5, 2, generator=g, **f64)
    agree('dL_dYhat', mlp.mse_grad(Yhat, Y), autograd(lambda P: ((P - Y)**2).mean(), Yhat)[0])

def check_cross_entropy_grad():
    g = G(4)
    Z, y = torch.randn(5, 4, generator=g, **f64), torch.randint(0, 4, (5,), generator=g)
    agree('dL_dZ', mlp.cross_entropy_grad(Z, y), autograd(lambda Z: torch.nn.functional.cross_entropy(Z, y), Z)[0])

def check_forward_and_backward():
    g = G(5)
    X, Y = torch.randn(6, 4, generator=g, **f64), torch.randn(6, 1, generator=g, **f64)
    ps = [torch.randn(4, 3, generator=g, **f64), torch.randn(3, generator=g, **f64),
          torch.randn(3, 1, generator=g, **f64), torch.randn(1, generator=g, **f64)]
    loss, grads = mlp.forward_and_backward(X, Y, *ps)
    forward = lambda W1, b1, W2, b2: ((torch.relu(X @ W1 + b1) @ W2 + b2 - Y)**2).mean()
    agree('loss', loss, forward(*ps))
    for n, m, r in zip(['dL_dW1', 'dL_db1', 'dL_dW2', 'dL_db2'], grads, autograd(forward, *ps)): agree(n, m, r)

def check_layers():
    "The layer classes: a Lin -> Relu -> Lin model with an MSE loss block, against autograd."
    g = G(6)
    X, Y = torch.randn(6, 4, generator=g, **f64), torch.randn(6, 2, generator=g, **f64)
    ps = [torch.randn(4, 3, generator=g, **f64), torch.randn(3, generator=g, **f64),
          torch.randn(3, 2, generator=g, **f64), torch.randn(2, generator=g, **f64)]
    l1, act, l2, lossb = mlp.Lin(ps[0], ps[1]), mlp.Relu(), mlp.Lin(ps[2], ps[3]), mlp.Mse()
    lossb.forward(l2.forward(act.forward(l1.forward(X))), Y)
    l1.backward(act.backward(l2.backward(lossb.backward())))
    ref = autograd(lambda W1, b1, W2, b2: ((torch.relu(X @ W1 + b1) @ W2 + b2 - Y)**2).mean(), *ps)
    for n, m, r in zip(['dL_dW1', 'dL_db1', 'dL_dW2', 'dL_db2'], [l1.dL_dW, l1.dL_db, l2.dL_dW, l2.dL_db], ref): agree(n, m, r)

def check_cross_entropy_layer():
    "The cross-entropy loss block after a Lin layer: its backward pass starts the layer's, against autograd."
    g = G(8)
    X, y = torch.randn(6, 4, generator=g, **f64), torch.randint(0, 3, (6,), generator=g)
    W, b = torch.randn(4, 3, generator=g, **f64), torch.randn(3, generator=g, **f64)
    layer, lossb = mlp.Lin(W, b), mlp.CrossEntropy()
    lossb.forward(layer.forward(X), y)
    layer.backward(lossb.backward())
    rW, rb = autograd(lambda W, b: torch.nn.functional.cross_entropy(X @ W + b, y), W, b)
    agree('dL_dW', layer.dL_dW, rW); agree('dL_db', layer.dL_db, rb)

def check_network():
    "Lesson 04: a 4-3-3-2 network (tanh, sigmoid with dropout, identity) with weight decay, against autograd of the same forward."
    g = G(7)
    X, Y = torch.randn(6, 4, generator=g, **f64), torch.randn(6, 2, generator=g, **f64)
    net = network.Network(network.Layer(4, 3, 'tanh', gen=g), network.Layer(3, 3, 'sigmoid', gen=g),
                          network.Dropout(3, p=.3, seed=1), network.Layer(3, 2, 'identity', gen=g))
    for l in net.layers:
        if isinstance(l, network.Layer): l.b += torch.randn(l.b.shape, generator=g, **f64)
    wd = 0.1
    loss = net.loss_and_grads(X, Y, wd=wd, train=True)
    mask = net.layers[2].mask
    def forward(W1, b1, W2, b2, W3, b3):
        A2 = torch.sigmoid(torch.tanh(X @ W1 + b1) @ W2 + b2) * mask
        return ((A2 @ W3 + b3 - Y)**2).mean() + wd / 2 * sum((W**2).sum() for W in (W1, W2, W3))
    ps = net.parameters()
    agree('loss', loss, forward(*ps))
    for i, (m, r) in enumerate(zip(net.grads(), autograd(forward, *ps))): agree(f'grad {i}', m, r)

def check_chain():
    "Lesson 02: the three gates (a tie included), one layer alone and a 3-layer chain on a batch, against autograd."
    g = G(8)
    a, b, up = (torch.randn(5, generator=g, **f64) for _ in range(3))
    b[0] = a[0]                              # a tie: the max sends the gradient to b, as autograd of torch.where(a > b, a, b) does
    for gate, f in ((chain.mul_backward, lambda a, b: a * b), (chain.add_backward, lambda a, b: a + b),
                    (chain.max_backward, lambda a, b: torch.where(a > b, a, b))):
        for n, m, r in zip(('dL_da', 'dL_db'), gate(a, b, up), autograd(lambda a, b: (f(a, b) * up).sum(), a, b)): agree(n, m, r)
    x, y = torch.rand(6, generator=g, **f64), torch.rand(6, generator=g, **f64)
    ws, bs = list(torch.randn(3, generator=g, **f64).unbind()), list(torch.randn(3, generator=g, **f64).unbind())
    ref = autograd(lambda w, b, x: (torch.sigmoid(w * x + b) * y).sum(), ws[0], bs[0], x)     # one layer, upstream gradient y
    for n, m, r in zip(('dL_dw', 'dL_db', 'dL_da_prev'), chain.sigmoid_layer_backward(ws[0], x, torch.sigmoid(ws[0] * x + bs[0]), y), ref): agree(n, m, r)
    dws, dbs = chain.chain_backward(ws, chain.chain_forward(ws, bs, x), y)
    ref = autograd(lambda *p: ((chain.chain_forward(p[:3], p[3:], x)[-1] - y)**2).mean(), *ws, *bs)
    for i, (m, r) in enumerate(zip(dws + dbs, ref)): agree(f'parameter {i}', m, r)

def check_network_backward():
    "Lesson 04: the backward loop's returned dL/dX and every layer's gradients, against autograd."
    g = G(10)
    X, dY = torch.randn(5, 4, generator=g, **f64), torch.randn(5, 2, generator=g, **f64)
    net = network.Network(network.Layer(4, 3, 'tanh', gen=g), network.Layer(3, 2, 'identity', gen=g))
    net.forward(X)
    dX = network.network_backward(net.layers, dY)
    refs = autograd(lambda X, W1, b1, W2, b2: ((torch.tanh(X @ W1 + b1) @ W2 + b2) * dY).sum(), X, *net.parameters())
    agree('dL_dX', dX, refs[0])
    for i, (m, r) in enumerate(zip(net.grads(), refs[1:])): agree(f'grad {i}', m, r)

def check_adam():
    "Lesson 04: adam_update against torch.optim.Adam over 5 steps, with betas and an eps that matter."
    g = G(8)
    p = torch.randn(4, 3, generator=g, **f64)
    mine, ref, m, v = p.clone(), p.clone().requires_grad_(), torch.zeros_like(p), torch.zeros_like(p)
    opt = torch.optim.Adam([ref], lr=0.1, betas=(0.8, 0.9), eps=1e-3)
    for t in range(1, 6):
        dp = torch.randn(4, 3, generator=g, **f64) * 1e-2
        network.adam_update(mine, dp, m, v, t, 0.1, 0.8, 0.9, 1e-3)
        ref.grad = dp.clone(); opt.step()
    agree('p after 5 Adam steps', mine, ref.detach())

def check_stack():
    "Lesson 04: the batched network's backward pass (3 members, 4-3-3-1, ReLU) against autograd of its forward pass."
    g = G(9)
    params = [torch.randn(*s, generator=g, **f64) for s in [(3, 4, 3), (3, 1, 3), (3, 3, 3), (3, 1, 3), (3, 3, 1), (3, 1, 1)]]
    X, dY = torch.randn(3, 5, 4, generator=g, **f64), torch.randn(3, 5, 1, generator=g, **f64)
    grads = network.stack_backward(params, network.stack_forward(params, X)[1], dY)
    refs = autograd(lambda *ps: (network.stack_forward(list(ps), X)[0] * dY).sum(), *params)
    assert len(grads) == len(refs), (len(grads), len(refs))
    for i, (m, r) in enumerate(zip(grads, refs)): agree(f'grad {i}', m, r)

TARGETS = [   # (owner, name of the hand-written gradient code, the check that must catch its mutants)
    (neuron, 'neuron_grads', check_neuron), (neuron, 'sigmoid_prime', check_neuron), (neuron, 'gd_step', check_gd_step),
    (chain, 'mul_backward', check_chain), (chain, 'add_backward', check_chain), (chain, 'max_backward', check_chain),
    (chain, 'sigmoid_layer_backward', check_chain), (chain, 'chain_backward', check_chain),
    (mlp, 'lin_grad', check_lin_grad), (mlp, 'relu_grad', check_relu_grad), (mlp, 'mse_grad', check_mse_grad),
    (mlp, 'cross_entropy_grad', check_cross_entropy_grad), (mlp, 'forward_and_backward', check_forward_and_backward),
    (mlp.Lin, 'backward', check_layers), (mlp.Relu, 'backward', check_layers), (mlp.Mse, 'backward', check_layers),
    (mlp.CrossEntropy, 'backward', check_cross_entropy_layer),
    (network, 'tanh_grad', check_network), (network, 'sigmoid_grad', check_network), (network.Layer, 'backward', check_network),
    (network.Network, 'loss_and_grads', check_network), (network.Dropout, 'backward', check_network),
    (network, 'layer_backward', check_network), (network, 'network_backward', check_network_backward),
    (network, 'dropout_grad', check_network), (network, 'weight_decay', check_network), (network, 'adam_update', check_adam),
    (network, 'stack_backward', check_stack),
]


def test_checks_pass_on_the_real_code():
    "Without mutation every check passes, so a caught mutant is caught for its mutation, not for a broken check."
    for _, _, chk in TARGETS: chk()


@pytest.mark.parametrize('owner,name,chk', TARGETS, ids=lambda v: getattr(v, '__name__', str(v)) if not isinstance(v, str) else v)
def test_every_mutant_is_caught(owner, name, chk, monkeypatch):
    fn = inspect.getattr_static(owner, name)
    ms = mutants(fn)
    assert ms, f'no mutation sites found in {name}'
    survivors = []
    for what, mutant in ms:
        with monkeypatch.context() as mp:
            mp.setattr(owner, name, mutant)
            for key, (fwd, bwd) in list(getattr(owner, 'ACTS', {}).items()):   # layers look activations up in ACTS
                if bwd is fn: mp.setitem(owner.ACTS, key, (fwd, mutant))
            if not caught(chk): survivors.append(what)
    assert not survivors, f'{name}: the course\'s check let these mutants through: {survivors}'
