"""What the programme tests share: the principals they act as, on real counties of the
seed regions (方山县 141128 and 临县 141124 in Lüliang, Shanxi; 景洪市 532801 in Yunnan)."""

from common.auth import Role
from tests.support import internal_headers

FANGSHAN = "141128000000"  # 方山县, Lüliang
LINXIAN = "141124000000"  # 临县, Lüliang
JINGHONG = "532801000000"  # 景洪市, Yunnan

ADMIN = internal_headers(Role.ADMIN, subject="user:admin")
FANGSHAN_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:fs", division="141128")
LINXIAN_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:lx", division="141124")
SHANXI_OFFICIAL = internal_headers(Role.OFFICIAL, subject="user:sx", division="14")
PLATFORM = internal_headers(Role.PLATFORM, subject="platform:mofcom", division="14")
ZH = {"Accept-Language": "zh"}
