"""What the programme tests share: the principals they act as, on real counties of the
seed regions (方山县 141128 and 临县 141124 in Lüliang, Shanxi; 景洪市 532801 in Yunnan)."""

from functools import partial

from common.auth import Role
from tests.support import internal_headers

# Minted at import: valid for longer than the suite runs.
_headers = partial(internal_headers, ttl_seconds=3600)

FANGSHAN = "141128000000"  # 方山县, Lüliang
LINXIAN = "141124000000"  # 临县, Lüliang
JINGHONG = "532801000000"  # 景洪市, Yunnan

ADMIN = _headers(Role.ADMIN, subject="user:admin")
FANGSHAN_OFFICIAL = _headers(Role.OFFICIAL, subject="user:fs", division="141128")
LINXIAN_OFFICIAL = _headers(Role.OFFICIAL, subject="user:lx", division="141124")
SHANXI_OFFICIAL = _headers(Role.OFFICIAL, subject="user:sx", division="14")
PLATFORM = _headers(Role.PLATFORM, subject="platform:mofcom", division="14")
ZH = {"Accept-Language": "zh"}
