"""Does the proxy rank candidates as longer training would? This bench is now a command:

    python -m nas.fidelity [flags]      (or: efficientnas fidelity [flags])

documented in docs/fidelity.md. ``python bench/fidelity.py`` runs that command with the same
flags. bench/fidelity_cpu_runs.csv and bench/fidelity_gpu_runs.csv, this bench's earlier run
logs (8 random samples, the yardstick 25,000 images x 2 epochs on the CPU), keep the command's
run-log layout and load with ``--runs`` (copy one before adding to it); the networks the command
chooses differ from theirs, so only the reference's runs of a matching recipe are reused.
"""

from __future__ import annotations

from nas.cli.fidelity import command

if __name__ == "__main__":
    raise SystemExit(command(prog="python bench/fidelity.py"))
