"""publisher: one queue, many channels, an exact ledger for the annual disclosure report."""

import sys

__version__ = "0.2.0"
SUPPORTED_PYTHONS = "3.11, 3.12, 3.13"

if sys.version_info < (3, 11):  # kept to Python 3.6 syntax so that an old interpreter reaches the message
    sys.stderr.write(
        "publisher {0} 需要 Python 3.11 或更高版本（支持 {1}），当前是 Python {2}.{3}。"
        "请安装 Python 3.11+（麒麟/统信可用 python3.11 软件包或离线包中的说明），再用它创建虚拟环境。\n"
        "publisher {0} needs Python 3.11 or newer ({1}); this is Python {2}.{3}.\n".format(
            __version__, SUPPORTED_PYTHONS, sys.version_info[0], sys.version_info[1]))
    raise SystemExit(2)
