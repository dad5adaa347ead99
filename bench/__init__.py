"""Benchmarks: each figure beside a limit measured in the same run on the same machine.

``python -m bench [names]`` (or ``make bench``) runs the modules under ``bench/benchmarks/``;
see ``bench/README.md``.
"""
