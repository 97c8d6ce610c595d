"""Hostile (load corpus): lr_schedule spins forever and shrugs off everything but SIGKILL.

It ignores SIGTERM and SIGINT and swallows every exception a signal handler or alarm could
raise, so only a hard kill at the call's deadline ends it.
Expected: graded; every lr_schedule case fails as a timeout at its own limit (2 s), the
other functions keep their points, and the worker goes on to the next submission.
"""

import signal

import numpy as np


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
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            while True:
                pass
        except BaseException:  # swallow alarms, KeyboardInterrupt, SystemExit: only SIGKILL ends it
            continue


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
