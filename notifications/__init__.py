"""One road for every message: a row per recipient, written in the
transaction that causes it, shown in the app (the bell), e-mailed by the
worker, swept when the broker missed it. See notifications.services.notify."""
