"""Background greenlets shared by the daemon and the store.

- `loop.Loop`: a service's greenlet, started and stopped with it;
- `backoff.Backoff`: the delays between attempts while what it talks to is down.

Neither the store nor the daemon owns these: the store must not import the daemon.
"""
