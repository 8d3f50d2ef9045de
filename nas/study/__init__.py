"""The study engine: runs any Optuna study to an exact total across processes and hosts.

Storage URLs, the resumable loop, worker processes, heartbeats and fault recovery. It knows
Optuna, not networks.
"""
