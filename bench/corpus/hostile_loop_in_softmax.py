"""Hostile (load corpus): softmax spins forever, and cross_entropy, cross_entropy_grad and
train_sgd all call it (the endless loop that once held a worker for 116 s).

Expected: graded; softmax's first case times out at its limit and its other cases fail as
"timed out earlier"; the functions that build on it are graded again with the reference
softmax where the submission's budget (30 s for lecture4) leaves room; the whole run
stays within that budget.
"""

import numpy as np


def softmax(scores):
    while True:
        pass


def quality(probs, labels):
    n = probs.shape[0]
    correct = probs[np.arange(n), labels]
    return float(np.exp(np.mean(np.log(correct))))


def cross_entropy(scores, labels):
    softmax(scores[:1])  # builds on softmax (and so spins with it)
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
