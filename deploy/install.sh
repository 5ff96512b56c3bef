#!/bin/sh
# 离线安装 publisher（zwgk-publisher）：在解压后的离线包目录里运行
#   sh install.sh [安装目录，默认 /srv/publisher]
# 不需要互联网，也不需要 PyPI：只用本目录 wheels/<架构>/ 里的文件。
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:-/srv/publisher}
ARCH=$(uname -m)
case "$ARCH" in amd64) ARCH=x86_64 ;; arm64) ARCH=aarch64 ;; esac
WHEELS="$HERE/wheels/$ARCH"
if [ ! -d "$WHEELS" ]; then
    echo "错误：离线包里没有 $ARCH 架构的文件（有：$(ls "$HERE/wheels" | tr '\n' ' ')）；请用 publisher bundle --platform $ARCH 重新制作" >&2
    exit 2
fi

# 找一个 3.11 或更新的 Python（麒麟/统信自带的 3.7/3.8 不行）
PY=${PYTHON:-}
if [ -z "$PY" ]; then
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            PY=$candidate
            break
        fi
    done
fi
if [ -z "$PY" ] || ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "错误：需要 Python 3.11 或更高版本（支持 3.11、3.12、3.13）。请先安装 python3.11（见 docs/部署手册.md「Python」一节），或用 PYTHON=/路径/python3.11 sh install.sh 指定。" >&2
    exit 2
fi
WANT=$(cat "$HERE/VERSION" | sed -n 2p | cut -d' ' -f2)
HAVE=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ -n "$WANT" ] && [ "$WANT" != "$HAVE" ]; then
    echo "错误：离线包是为 Python $WANT 制作的，本机的 $PY 是 $HAVE；请用 Python $WANT，或在同版本的机器上用 publisher bundle 重新制作。" >&2
    exit 2
fi

mkdir -p "$TARGET"
"$PY" -m venv "$TARGET/.venv"
"$TARGET/.venv/bin/pip" install --quiet --no-index --find-links "$WHEELS" "zwgk-publisher[postgresql]"
if [ ! -f "$TARGET/config.yaml" ]; then
    cp "$HERE/config.example.yaml" "$TARGET/config.yaml"
    echo "已写入配置模板 $TARGET/config.yaml：请按 docs/部署手册.md 修改单位名称、数据库和各渠道。"
fi
"$TARGET/.venv/bin/publisher" --version
echo "安装完成。下一步：$TARGET/.venv/bin/publisher --config $TARGET/config.yaml doctor"
