"""One module per benchmark; each defines ``async def run(options) -> list[Figure]``.

The module's name is the benchmark's name on the command line and its docstring's first
line the title printed above its figures.
"""
